#!/usr/bin/python3
"""Writes a small, valid migration stream (lib/migrate_stream.h) to argv[1]:
the seed of the fuzz_stream target, so that it starts from a stream whose
every section and digest are right and mutates from there."""

import hashlib
import struct
import sys

PAGE = 4096


def section(kind, payload):
    return struct.pack("<IIQ", kind, 0, len(payload)) + payload


def main(path):
    out = b"SHYMIGR\0" + struct.pack("<IIQ", 1, 0, 0)
    # INFO's flags: 1, the disk images come too.
    info = (bytes(range(16)) + b"seed".ljust(32, b"\0") + b"board-1".ljust(64, b"\0")
            + struct.pack("<QQII", 8, 62500000, 1, 1))
    out += section(1, info)
    out += section(2, b"<domain type='shyper'><name>seed</name></domain>")
    out += section(3, struct.pack("<II", 2, 0) + struct.pack("<QQ", 1, 7) + b"\xab" * (2 * PAGE))
    out += section(4, struct.pack("<II", 3, 0) + struct.pack("<QQQ", 0, 2, 3))
    # DISK: disk 0 is 4 KiB (SIZE), 512 bytes of data at 1024, zeroes at 2048.
    out += section(7, struct.pack("<IIQQ", 0, 1, 0, 4096))
    out += section(7, struct.pack("<IIQQ", 0, 2, 1024, 512) + b"\x5a" * 512)
    out += section(7, struct.pack("<IIQQ", 0, 3, 2048, 1024))
    out += section(5, b"SHYVMST\0" + bytes(56))
    digest = hashlib.sha256(out).digest()
    out += section(6, struct.pack("<QQ", 2, 3) + digest)
    with open(path, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main(sys.argv[1])
