#!/usr/bin/python3
"""Fills in and seals the Shyper header of a hypervisor image (shyper.bin).

The header (struct shyper_image_header, include/shyper/image.h) sits at
byte 64, after the arm64 Image header; head.S leaves it zeroed. This writes
its fields from the build's own headers (the ABI version, the state layout
version and fingerprint, the version string), the file's size, and last
the SHA-256 of the whole file with the digest field zeroed. The one field
head.S fills itself, the offset of the live-update entry, is kept.

    seal-image.py IMAGE --abi H --layout H --version H --update H
"""

import argparse
import hashlib
import os
import re
import struct
import sys

HEADER_AT = 64
ARM64_MAGIC_AT = 56
MAGIC = 0x4d49524550594853  # "SHYPERIM"
ARCH_AARCH64 = 183
FORMAT = "<QIIIIIIQQ32s32s"  # struct shyper_image_header
HEADER_SIZE = struct.calcsize(FORMAT)
ENTRY_AT = HEADER_AT + 28    # its handover_entry
DIGEST_AT = HEADER_AT + HEADER_SIZE - 32


def define(path, name, pattern=r"(0x[0-9a-fA-F]+|\d+)"):
    with open(path) as f:
        match = re.search(r"#define\s+%s\s+%s" % (name, pattern), f.read())
    if not match:
        sys.exit("seal-image: no %s in %s" % (name, path))
    return match.group(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image")
    parser.add_argument("--abi", required=True, help="include/shyper/abi.h")
    parser.add_argument("--layout", required=True, help="the generated state_layout.h")
    parser.add_argument("--version", required=True, help="the generated shyper_version.h")
    parser.add_argument("--update", required=True, help="hypervisor/include/hv/update.h")
    args = parser.parse_args()

    abi = int(define(args.abi, "SHYPER_ABI_MAJOR")) << 16 | int(define(args.abi, "SHYPER_ABI_MINOR"))
    # The versions this build really has (state.h's depend on its flags).
    state = int(define(args.layout, "HV_STATE_LAYOUT_VERSION"))
    state_min = int(define(args.layout, "HV_STATE_LAYOUT_VERSION_MIN"))
    layout = int(define(args.layout, "HV_STATE_LAYOUT"), 16)
    version = define(args.version, "SHYPER_VERSION", r'"([^"]*)"').encode()
    # The header keeps 31 bytes and a NUL; hv info has the whole string.
    version = version[:31]

    with open(args.image, "rb") as f:
        image = bytearray(f.read())
    if len(image) < HEADER_AT + HEADER_SIZE or image[ARM64_MAGIC_AT:ARM64_MAGIC_AT + 4] != b"ARM\x64":
        sys.exit("seal-image: %s is not an arm64 Image" % args.image)
    entry = struct.unpack_from("<I", image, ENTRY_AT)[0]
    rest = image[HEADER_AT:ENTRY_AT] + image[ENTRY_AT + 4:HEADER_AT + HEADER_SIZE]
    if any(rest) and struct.unpack_from("<Q", image, HEADER_AT)[0] != MAGIC:
        sys.exit("seal-image: byte %d of %s is not a free header slot" % (HEADER_AT, args.image))
    slot = int(define(args.update, "HV_IMAGE_SLOT_SIZE"), 0)
    mem_size = struct.unpack_from("<Q", image, 16)[0]
    if mem_size > slot:
        sys.exit("seal-image: %s needs %d bytes in memory, more than the %d of an image slot "
                 "(HV_IMAGE_SLOT_SIZE)" % (args.image, mem_size, slot))
    if not entry or entry % 4 or entry >= len(image):
        sys.exit("seal-image: %s has no live-update entry in its header" % args.image)
    # This image lays out state version `state` and takes over any from
    # `state_min` on (state.h says which it converts).
    struct.pack_into(FORMAT, image, HEADER_AT, MAGIC, HEADER_SIZE, ARCH_AARCH64, abi, state,
                     state_min, entry, layout, len(image), version, bytes(32))
    digest = hashlib.sha256(image).digest()
    image[DIGEST_AT:DIGEST_AT + 32] = digest
    with open(args.image + ".tmp", "wb") as f:
        f.write(image)
    os.replace(args.image + ".tmp", args.image)


if __name__ == "__main__":
    main()
