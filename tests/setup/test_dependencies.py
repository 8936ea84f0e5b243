"""What `make run` and `make check` need is what the set-up installs.

A machine that has been used for a while has packages nobody listed: a QEMU
option ROM, a command a tool runs behind the scenes, a Python module. They
hide a missing install step until a new user's first `make check` fails.
These tests find such a gap on any machine, however much it has installed:
each file the project's commands use must belong to a package that
packaging/setup.sh installs, or to one those packages depend on, or to the
base a new machine starts from (a minimal Debian with build-essential, git,
python3 and ca-certificates).

They run first in `make check`, on the host, after the build.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SETUP = os.path.join(REPO_ROOT, "packaging", "setup.sh")
BOARD = os.path.join(REPO_ROOT, "packaging", "shyper-board")
BUILD = os.path.join(REPO_ROOT, "build")
sys.path.insert(0, os.path.join(REPO_ROOT, "packaging"))
import qemu_board  # noqa: E402

# The base of a new machine, besides Debian's required packages.
BASE_PACKAGES = ["build-essential", "git", "python3", "ca-certificates"]

# Commands that the build, the launcher and the tests run on the host.
HOST_COMMANDS = [
    qemu_board.QEMU,            # the board
    "aarch64-linux-gnu-gcc",    # hypervisor, MVM tools, guests
    "aarch64-linux-gnu-objcopy",
    "gcc", "make", "pkg-config",
    "clang",                    # libFuzzer targets
    "dtc",                      # test device trees
    "cpio", "gzip",             # initramfs images
    "mke2fs",                   # the MVM's system disk, test disks
    "depmod",                   # the MVM's module index
    "virt-xml-validate",        # dumpxml against libvirt's schema
    "xmllint",                  # ... which virt-xml-validate runs
    "strace",                   # this file
    "openssl",                  # the lab's certificates (packaging/lab.py)
    "apt-get", "dpkg-deb",      # build-local downloads (packaging/setup.sh)
]


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def strip_arch(package):
    return package.split(":", 1)[0]


@pytest.fixture(scope="module")
def provided():
    """Names of the packages a new machine has once the set-up has run."""
    listed = run([SETUP, "--list-packages"], check=True).stdout.split()
    assert listed, "packaging/setup.sh --list-packages printed nothing"
    base = list(BASE_PACKAGES)
    for line in run(["dpkg-query", "-W", "-f", "${Package}\t${Priority}\t${Essential}\n"],
                    check=True).stdout.splitlines():
        name, priority, essential = (line.split("\t") + ["", ""])[:3]
        if priority == "required" or essential == "yes":
            base.append(name)
    out = run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
               "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"]
              + listed + base, check=True).stdout
    names = {strip_arch(line.strip()) for line in out.splitlines()
             if line and not line.startswith(" ") and not line.startswith("<")}
    return names | {strip_arch(p) for p in listed + base}


def aliases(path):
    """PATH as dpkg may know it: itself, its real path, and its /usr-merged twins."""
    forms = [path, os.path.realpath(path)]
    for p in list(forms):
        for short in ("/lib/", "/lib64/", "/bin/", "/sbin/"):
            if p.startswith("/usr" + short):
                forms.append(p[len("/usr"):])
            elif p.startswith(short):
                forms.append("/usr" + p)
    return list(dict.fromkeys(forms))


def owners(paths):
    """{path: the packages dpkg says own it (through any of its aliases)}."""
    forms = {path: aliases(path) for path in paths}
    wanted = sorted({form for fs in forms.values() for form in fs})
    owned = {}
    # One dpkg-query for all: it prints "pkg[, pkg...]: path" for those it knows.
    for line in run(["dpkg-query", "-S"] + wanted).stdout.splitlines():
        pkgs, _, form = line.rpartition(": ")
        owned.setdefault(form.strip(), set()).update(
            strip_arch(p.strip()) for p in pkgs.split(","))
    return {path: set().union(*(owned.get(f, set()) for f in fs)) for path, fs in forms.items()}


def unprovided(paths, provided):
    """Lines naming each path whose owner the set-up does not bring."""
    problems = []
    for path, pkgs in sorted(owners(set(paths)).items()):
        if not pkgs:
            problems.append("%s: no package owns it (installed by hand?)" % path)
        elif not pkgs & provided:
            problems.append("%s: from %s, which packaging/setup.sh does not install"
                            % (path, ", ".join(sorted(pkgs))))
    return problems


def test_every_host_command_comes_from_the_setup(provided):
    paths, missing = [], []
    for command in HOST_COMMANDS:
        path = shutil.which(command)
        if path:
            paths.append(path)
        else:
            missing.append(command)
    problems = ["%s: not installed" % c for c in missing] + unprovided(paths, provided)
    assert not problems, "\n".join(problems)


def board_files_opened(mode_args, tmp_path):
    """Files under /usr that QEMU opens when started as `make run` starts it."""
    result = run([BOARD] + mode_args + ["--dry-run"])
    assert result.returncode == 0, result.stderr
    cmd = shlex.split(result.stdout.strip())
    machine = cmd.index("-M") + 1
    dtb = str(tmp_path / "board.dtb")
    cmd[machine] += ",dumpdtb=" + dtb  # builds the whole board, then exits
    trace = str(tmp_path / "trace")
    result = run(["strace", "-f", "-qq", "-e", "trace=open,openat,execve", "-o", trace] + cmd,
                 stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == 0 and os.path.getsize(dtb) > 0, \
        "QEMU could not build the board:\n%s" % result.stderr[-2000:]
    opened = []
    with open(trace) as f:
        for line in f:
            match = re.search(r'(?:open|openat|execve)\((?:[A-Z_]+, )?"([^"]+)".*\) = \d+',
                              line)
            if match and match.group(1).startswith("/usr/") and os.path.isfile(match.group(1)):
                opened.append(match.group(1))
    return opened


@pytest.mark.parametrize("mode", ["hypervisor", "direct"])
def test_qemu_uses_only_files_the_setup_installs(mode, provided, tmp_path):
    if not os.path.isfile(os.path.join(BUILD, "mvm", "initramfs.cpio.gz")):
        pytest.fail("the MVM is not built: run `make all` first")
    mode_args = (["--hypervisor", os.path.join(BUILD, "hypervisor", "shyper.bin")]
                 if mode == "hypervisor" else ["--direct"])
    opened = board_files_opened(mode_args, tmp_path)
    assert any("qemu" in p for p in opened), "strace saw no QEMU file: %s" % opened[:20]
    problems = unprovided(opened, provided)
    assert not problems, "\n".join(problems)


def test_python_modules_come_from_the_setup(provided):
    # The launcher, the benchmarks and every test module, imported in a
    # fresh interpreter the way they run; then this process's own (pytest).
    script = r"""
import importlib.machinery, importlib.util, glob, os, sys
root = sys.argv[1]
for d in ("packaging", "tests/system", "tests/bench", "tests/setup", "tests"):
    sys.path.insert(0, os.path.join(root, d))
files = [os.path.join(root, "packaging", "shyper-board")]
for pattern in ("packaging/*.py", "tests/*.py", "tests/*/*.py"):
    files += glob.glob(os.path.join(root, pattern))
for path in sorted(files):
    name = "shyper_check_" + os.path.basename(path).replace("-", "_").replace(".py", "")
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    loader.exec_module(importlib.util.module_from_spec(spec))
for module in list(sys.modules.values()):
    path = getattr(module, "__file__", None)
    if path:
        print(path)
"""
    result = run(["/usr/bin/python3", "-c", script, REPO_ROOT], cwd=REPO_ROOT)
    assert result.returncode == 0, "importing the project's Python failed:\n" + result.stderr
    paths = result.stdout.splitlines()
    paths += [getattr(m, "__file__", None) or "" for m in list(sys.modules.values())]
    # What the interpreter loads before any of ours (site's .pth hooks of
    # whatever else is installed) is not something the project asks for.
    startup = run(["/usr/bin/python3", "-c", "import sys\nfor m in list(sys.modules.values()):"
                   "\n    print(getattr(m, '__file__', None) or '')"]).stdout.splitlines()
    paths = [p for p in paths if p not in startup or "/dist-packages/" not in p]
    paths = [os.path.realpath(p) for p in paths
             if p.startswith("/usr/") and not p.startswith(REPO_ROOT)]
    paths = [p for p in paths if os.path.isfile(p) and "__pycache__" not in p]
    assert paths, "no module files found"
    problems = unprovided(paths, provided)
    assert not problems, "\n".join(problems)


def git_files():
    result = run(["git", "-C", REPO_ROOT, "ls-files"])
    if result.returncode == 0 and result.stdout:
        return [os.path.join(REPO_ROOT, f) for f in result.stdout.splitlines()]
    files = []
    for dirpath, dirnames, filenames in os.walk(REPO_ROOT):
        dirnames[:] = [d for d in dirnames if d not in (".git", "build")]
        files += [os.path.join(dirpath, f) for f in filenames]
    return files


def logical_lines(text):
    """Lines with backslash continuations joined."""
    return text.replace("\\\n", " ").splitlines()


def test_every_qemu_start_has_no_default_devices():
    here = os.path.relpath(__file__, REPO_ROOT)
    problems = []
    for path in git_files():
        rel = os.path.relpath(path, REPO_ROOT)
        if rel == here or not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        # What can start a program: makefiles, scripts, Python (not data,
        # C sources or documents, which only mention QEMU).
        name = os.path.basename(rel)
        if not (name == "Makefile" or name.endswith((".mk", ".sh", ".py")) or
                text.startswith("#!")):
            continue
        is_python = rel.endswith(".py") or text.startswith("#!/usr/bin/python3")
        for n, line in enumerate(logical_lines(text), 1):
            if qemu_board.QEMU not in line and "$(QEMU)" not in line:
                continue
            if is_python and rel != "packaging/qemu_board.py":
                problems.append("%s: names QEMU itself; take the command from "
                                "packaging/qemu_board.py" % rel)
            elif is_python or "--version" in line or "-nodefaults" in line or \
                    re.match(r"\s*(#|QEMU\s*[:?]?=)", line):
                continue
            else:
                problems.append("%s (logical line %d): QEMU without -nodefaults: %s"
                                % (rel, n, line.strip()[:120]))
    assert not problems, "\n".join(problems)


def test_the_launcher_refuses_default_devices():
    good = qemu_board.board_command("virt", 1, "1G")
    assert qemu_board.check_command(good) == good
    without = [a for a in good if a != "-nodefaults"]
    with pytest.raises(ValueError, match="-nodefaults"):
        qemu_board.check_command(without)
    with pytest.raises(ValueError, match="-nographic"):
        qemu_board.check_command(good + ["-nographic"])
    # And it is the launcher's own command that is checked before QEMU runs.
    for mode in (["--direct"], ["--hypervisor", os.path.join(BUILD, "hypervisor", "shyper.bin")]):
        result = run([BOARD] + mode + ["--dry-run"])
        assert result.returncode == 0, result.stderr
        cmd = shlex.split(result.stdout.strip())
        assert cmd[:2] == [qemu_board.QEMU, "-nodefaults"], cmd
