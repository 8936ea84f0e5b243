#!/usr/bin/python3
"""Write gzip'd "newc" cpio archives, the format Linux unpacks as initramfs.

Written in Python rather than with `cpio -o` so that archives are built
without root (device nodes such as /dev/console are described, not made with
mknod), owned by root inside, and byte-for-byte reproducible (fixed mtimes,
sorted entries). Used by mkinitramfs.sh (whole MVM image) and by
shyper-board (the small archive that carries a --script).

Command line:
  newc.py OUT.cpio.gz ROOT_DIR [--node PATH:MODE:c|b:MAJOR:MINOR]...
"""

import argparse
import gzip
import os
import stat
import sys

NEWC_MAGIC = b"070701"
TRAILER = "TRAILER!!!"


class NewcWriter:
    """Accumulates archive members in memory; bytes() gives the archive."""

    def __init__(self):
        self._chunks = []
        self._inode = 1

    def _entry(self, name, mode, data=b"", rdev=(0, 0), nlink=1):
        name_bytes = name.encode() + b"\0"
        fields = [
            self._inode, mode, 0, 0, nlink, 0, len(data),
            0, 0, rdev[0], rdev[1], len(name_bytes), 0,
        ]
        self._inode += 1
        header = NEWC_MAGIC + b"".join(b"%08X" % f for f in fields)
        self._chunks.append(header + name_bytes)
        self._pad()
        self._chunks.append(data)
        self._pad()

    def _pad(self):
        size = sum(len(c) for c in self._chunks)
        self._chunks.append(b"\0" * (-size % 4))

    def add_dir(self, name, perm=0o755):
        self._entry(name, stat.S_IFDIR | perm, nlink=2)

    def add_file(self, name, data, perm=0o644):
        self._entry(name, stat.S_IFREG | perm, data)

    def add_symlink(self, name, target):
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def add_node(self, name, perm, kind, major, minor):
        fmt = stat.S_IFCHR if kind == "c" else stat.S_IFBLK
        self._entry(name, fmt | perm, rdev=(major, minor))

    def add_tree(self, root):
        """Adds everything under the host directory ROOT at the archive root."""
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, root)
            for name in dirnames + sorted(filenames):
                host = os.path.join(dirpath, name)
                rel = os.path.normpath(os.path.join(rel_dir, name))
                st = os.lstat(host)
                perm = stat.S_IMODE(st.st_mode)
                if stat.S_ISLNK(st.st_mode):
                    self.add_symlink(rel, os.readlink(host))
                elif stat.S_ISDIR(st.st_mode):
                    self.add_dir(rel, perm)
                elif stat.S_ISREG(st.st_mode):
                    with open(host, "rb") as f:
                        self.add_file(rel, f.read(), perm)
                # Sockets, fifos and device files in a host tree are skipped:
                # nodes are described with add_node instead.

    def finish(self):
        self._entry(TRAILER, 0, nlink=1)
        data = b"".join(self._chunks)
        # The kernel reads 512-byte blocks happily; pad like cpio(1) does.
        return data + b"\0" * (-len(data) % 512)


def gzip_bytes(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("root")
    parser.add_argument("--node", action="append", default=[],
                        help="device node PATH:MODE:c|b:MAJOR:MINOR (octal MODE)")
    args = parser.parse_args(argv)

    writer = NewcWriter()
    writer.add_tree(args.root)
    for spec in args.node:
        path, mode, kind, major, minor = spec.split(":")
        writer.add_node(path.lstrip("/"), int(mode, 8), kind, int(major), int(minor))
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(gzip_bytes(writer.finish()))
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
