"""The lab: emulated boards on one machine, linked as real boards would be.

`shyper-board --board N --link DIR` (`make run BOARD=N LINK=DIR`) uses this
module to put board N on the private Ethernet of folder DIR:

  DIR/switch.sock      the switch every board plugs into (packaging/shyper-link)
  DIR/board-N.sock     board N's end: QEMU's "dgram" network back end
  DIR/board-N.pid      the process that runs board N while it runs
  DIR/ca/              the lab's certificate authority (its key never leaves it)
  DIR/board-N/         what board N's MVM gets as /etc/shyper/: ca.crt, the
                       fleet's CA; board.crt and board.key, its own identity
                       (a 9p share, tag "shyper-lab", read-only)

In the MVM the link is interface link0 with address 10.99.0.N/24, its
hostname is board-N, and /etc/hosts names every board-M on the link.
"""

import fcntl
import os
import re
import subprocess

MAX_BOARD = 254
LINK_SUBNET = "10.99.0"
# Locally administered unicast, QEMU's 52:54:00 prefix, one per board.
LINK_MAC = "52:54:00:5e:00:%02x"
SOCKET_PATH_MAX = 107  # sockaddr_un: 108 bytes with the NUL
CA_DAYS = 3650
CERT_DAYS = 825


class LabError(Exception):
    pass


def board_name(board):
    return "board-%d" % board


def board_address(board):
    return "%s.%d" % (LINK_SUBNET, board)


def parse_board(text):
    if not re.fullmatch(r"[0-9]{1,3}", str(text)) or not 1 <= int(text) <= MAX_BOARD:
        raise LabError("bad board number '%s' (want 1 to %d)" % (text, MAX_BOARD))
    return int(text)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running_pid(path):
    try:
        with open(path) as f:
            pid = int(f.read().strip() or "0")
    except (OSError, ValueError):
        return 0
    return pid if pid > 0 and _pid_alive(pid) else 0


def _openssl(args, what):
    try:
        proc = subprocess.run(["openssl"] + args, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as err:
        raise LabError("cannot run openssl (%s): %s" % (what, err))
    if proc.returncode != 0:
        raise LabError("openssl failed (%s): %s" % (what, proc.stdout.strip()[-400:]))


def _make_ca(ca_dir):
    key, crt = os.path.join(ca_dir, "ca.key"), os.path.join(ca_dir, "ca.crt")
    if os.path.isfile(key) and os.path.isfile(crt):
        return
    os.makedirs(ca_dir, mode=0o700, exist_ok=True)
    _openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
              "-out", key + ".new"], "the lab CA's key")
    _openssl(["req", "-x509", "-new", "-key", key + ".new", "-sha256", "-days", str(CA_DAYS),
              "-subj", "/O=Shyper lab/CN=Shyper lab fleet CA",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign",
              "-out", crt + ".new"], "the lab CA's certificate")
    os.chmod(key + ".new", 0o600)
    os.replace(key + ".new", key)
    os.replace(crt + ".new", crt)


def _make_board_identity(folder, board):
    """Creates DIR/board-N/{ca.crt,board.crt,board.key} if missing; returns the folder."""
    ca_dir = os.path.join(folder, "ca")
    out = os.path.join(folder, board_name(board))
    files = [os.path.join(out, n) for n in ("ca.crt", "board.crt", "board.key")]
    with open(os.path.join(folder, "ca.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _make_ca(ca_dir)
        if all(os.path.isfile(f) for f in files):
            return out
        os.makedirs(out, exist_ok=True)
        key, csr, crt = files[2] + ".new", os.path.join(out, "board.csr"), files[1] + ".new"
        name = board_name(board)
        ext = os.path.join(out, "board.ext")
        with open(ext, "w") as f:
            # Both ends of a migration prove who they are: server and client use.
            f.write("basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=serverAuth,clientAuth\n"
                    "subjectAltName=DNS:%s,IP:%s\n" % (name, board_address(board)))
        _openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                  "-out", key], "%s's key" % name)
        _openssl(["req", "-new", "-key", key, "-subj", "/O=Shyper lab/CN=%s" % name,
                  "-out", csr], "%s's request" % name)
        _openssl(["x509", "-req", "-in", csr, "-CA", os.path.join(ca_dir, "ca.crt"),
                  "-CAkey", os.path.join(ca_dir, "ca.key"), "-CAcreateserial",
                  "-days", str(CERT_DAYS), "-sha256", "-extfile", ext, "-out", crt],
                 "%s's certificate" % name)
        with open(os.path.join(ca_dir, "ca.crt"), "rb") as src, \
                open(files[0] + ".new", "wb") as dst:
            dst.write(src.read())
        os.replace(files[0] + ".new", files[0])
        os.replace(key, files[2])
        os.replace(crt, files[1])
        for leftover in (csr, ext):
            os.unlink(leftover)
    return out


class Link:
    """Board BOARD's place on the link of FOLDER, from join() to leave()."""

    def __init__(self, folder, board):
        self.folder = os.path.abspath(folder)
        self.board = board
        self.socket = os.path.join(self.folder, "%s.sock" % board_name(board))
        self.switch = os.path.join(self.folder, "switch.sock")
        self.pid_file = os.path.join(self.folder, "%s.pid" % board_name(board))
        self.identity = os.path.join(self.folder, board_name(board))

    def check(self):
        """Refuses what cannot work, before anything is created."""
        for path in (self.socket, self.switch):
            if len(path) > SOCKET_PATH_MAX:
                raise LabError("link folder '%s' is too deep: %s would exceed the %d "
                               "bytes a UNIX socket path may have"
                               % (self.folder, path, SOCKET_PATH_MAX))
        if os.path.exists(self.folder) and not os.path.isdir(self.folder):
            raise LabError("link '%s' is not a folder" % self.folder)
        pid = _running_pid(self.pid_file)
        if pid and pid != os.getpid():
            raise LabError("%s already runs on link %s (process %d)"
                           % (board_name(self.board), self.folder, pid))

    def join(self, switch_program):
        """Creates the folder, the board's identity and the switch; claims the board number."""
        os.makedirs(self.folder, exist_ok=True)
        with open(self.pid_file + ".new", "w") as f:
            f.write("%d\n" % os.getpid())
        os.replace(self.pid_file + ".new", self.pid_file)
        try:
            os.unlink(self.socket)  # a stale one from a board that is gone
        except FileNotFoundError:
            pass
        _make_board_identity(self.folder, self.board)
        proc = subprocess.run([switch_program, self.folder], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            raise LabError("the link's switch did not start: %s" % proc.stdout.strip())

    def leave(self):
        for path in (self.pid_file, self.socket):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    def qemu_args(self):
        return ["-netdev", "dgram,id=link,local.type=unix,local.path=%s,"
                "remote.type=unix,remote.path=%s" % (_opt(self.socket), _opt(self.switch)),
                "-device", "virtio-net-device,netdev=link,mac=%s" % (LINK_MAC % self.board),
                "-fsdev", "local,id=lab,path=%s,security_model=none,readonly=on"
                % _opt(self.identity),
                "-device", "virtio-9p-device,fsdev=lab,mount_tag=shyper-lab"]


def _opt(value):
    return value.replace(",", ",,")
