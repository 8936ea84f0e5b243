#!/usr/bin/python3
"""The layout fingerprint of the hypervisor's state area (struct hv_state).

A new hypervisor image may take over the state area of the running one
only if it lays it out the same way (docs: live update). Sizes of a few
records are a weak check: two fields of one size swapped, or a field moved
from one record to another of the same size, pass it. This script reads the
DWARF of an object built with -g from hypervisor/core/state_layout.c and
describes struct hv_state completely: every member of every record it
holds, with its name, offset, size and (for arrays) bounds, down to the
base types. The fingerprint is the first 64 bits of the SHA-256 of that
description. Base types count by size only: `char` is signed on one
architecture and unsigned on another without changing the layout.

    state-layout.py OBJECT              print the fingerprint
    state-layout.py OBJECT --header H   write H with #define HV_STATE_LAYOUT
    state-layout.py OBJECT --describe   print the description it hashes

A new image converts an older state area field by field, matching them by
name (core/state_convert.c), from the descriptions of every layout version
it can take over: its own, read here, and the older ones recorded in
hypervisor/state-layouts/vN.txt (written by --record when version N was
current). --layouts H writes them into H as a table, for
HV_STATE_VERSION_MIN to HV_STATE_VERSION (read from the object's
state_layout_version and state_layout_version_min); a recorded version that
is needed and missing fails the build.

    state-layout.py OBJECT --layouts H --recorded DIR
    state-layout.py OBJECT --record DIR

A guest's state travels between boards the same way (core/vmstate.c): each
record of it carries the description of its payload's structure. --vmstate
H writes the descriptions of those structures into H, one #define each.

    state-layout.py OBJECT --vmstate H
"""

import argparse
import hashlib
import os
import sys

from elftools.elf.elffile import ELFFile

STRUCT = "hv_state"
# The structures of a guest's state as it travels (hv/vmstate.h).
VMSTATE_STRUCTS = ("vmstate_vm", "vmstate_vcpu", "vconsole", "vgpio", "vrtc", "virtio_dev")


def attr(die, name, default=None):
    a = die.attributes.get(name)
    return a.value if a is not None else default


def describe_type(die, memo):
    """A string for the layout of the type at DIE (memoized by DIE offset)."""
    if die.offset in memo:
        return memo[die.offset]
    tag = die.tag
    if tag in ("DW_TAG_typedef", "DW_TAG_const_type", "DW_TAG_volatile_type",
               "DW_TAG_atomic_type", "DW_TAG_restrict_type"):
        target = die.get_DIE_from_attribute("DW_AT_type") if "DW_AT_type" in die.attributes \
            else None
        text = describe_type(target, memo) if target is not None else "void"
    elif tag == "DW_TAG_base_type":
        text = "b%d" % attr(die, "DW_AT_byte_size")
    elif tag == "DW_TAG_enumeration_type":
        text = "e%d" % attr(die, "DW_AT_byte_size")
    elif tag == "DW_TAG_pointer_type":
        text = "p%d" % attr(die, "DW_AT_byte_size")
    elif tag == "DW_TAG_array_type":
        bounds = []
        for child in die.iter_children():
            if child.tag == "DW_TAG_subrange_type":
                if "DW_AT_count" in child.attributes:
                    bounds.append(attr(child, "DW_AT_count"))
                else:
                    bounds.append(attr(child, "DW_AT_upper_bound", -1) + 1)
        elem = describe_type(die.get_DIE_from_attribute("DW_AT_type"), memo)
        text = "a%s%s" % ("".join("[%d]" % b for b in bounds), elem)
    elif tag in ("DW_TAG_structure_type", "DW_TAG_union_type"):
        if attr(die, "DW_AT_declaration"):
            raise SystemExit("state-layout: %s is only declared in this object" %
                             (attr(die, "DW_AT_name", b"?").decode()))
        memo[die.offset] = "<recursive>"
        parts = []
        for m in die.iter_children():
            if m.tag != "DW_TAG_member":
                continue
            name = attr(m, "DW_AT_name", b"").decode()
            offset = attr(m, "DW_AT_data_member_location", 0)
            bits = ""
            if "DW_AT_bit_size" in m.attributes:
                bits = "/%s+%s" % (attr(m, "DW_AT_data_bit_offset", attr(m, "DW_AT_bit_offset")),
                                   attr(m, "DW_AT_bit_size"))
            parts.append("%s@%s%s:%s" % (name, offset, bits,
                                         describe_type(m.get_DIE_from_attribute("DW_AT_type"),
                                                       memo)))
        text = "%s%d{%s}" % ("s" if tag == "DW_TAG_structure_type" else "u",
                             attr(die, "DW_AT_byte_size", 0), ",".join(parts))
    else:
        raise SystemExit("state-layout: no rule for %s in the state area" % tag)
    memo[die.offset] = text
    return text


def find_struct(elf, name):
    for cu in elf.get_dwarf_info().iter_CUs():
        for die in cu.iter_DIEs():
            if (die.tag == "DW_TAG_structure_type" and attr(die, "DW_AT_name") == name.encode()
                    and not attr(die, "DW_AT_declaration")):
                return die
    return None


def read_uint(elf, name):
    """The value of the 4-byte constant NAME defined in the object."""
    symtab = elf.get_section_by_name(".symtab")
    for sym in symtab.iter_symbols() if symtab else ():
        if sym.name == name and sym["st_shndx"] not in ("SHN_UNDEF", "SHN_ABS", "SHN_COMMON"):
            data = elf.get_section(sym["st_shndx"]).data()
            return int.from_bytes(data[sym["st_value"]:sym["st_value"] + 4],
                                  "little" if elf.little_endian else "big")
    sys.exit("state-layout: no constant %s in the object" % name)


def fingerprint(text):
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def write_if_changed(path, content):
    try:
        with open(path) as f:
            if f.read() == content:
                return  # unchanged: keep its time, nothing rebuilds
    except OSError:
        pass
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write(content)
    os.replace(path + ".tmp", path)


def c_string(text, width=100):
    return "\n".join('\t  "%s"' % text[i:i + width] for i in range(0, len(text), width))


def layouts_header(text, version, version_min, recorded):
    rows = []
    for v in range(version_min, version):
        path = os.path.join(recorded, "v%d.txt" % v)
        try:
            with open(path) as f:
                old = f.read().strip()
        except OSError:
            sys.exit("state-layout: this image converts from state layout %d "
                     "(HV_STATE_VERSION_MIN), but %s is missing" % (v, path))
        rows.append((v, old))
    rows.append((version, text))
    out = ["/* Generated by hypervisor/tools/state-layout.py: do not edit. */",
           "/* The state layouts this image takes over (core/state_convert.c). */",
           "static const struct state_layout_record state_layouts[] = {"]
    for v, t in rows:
        out.append("\t{ %d, 0x%sULL,\n%s }," % (v, fingerprint(t), c_string(t)))
    out.append("};")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("object")
    parser.add_argument("--header", metavar="FILE")
    parser.add_argument("--layouts", metavar="FILE")
    parser.add_argument("--recorded", metavar="DIR")
    parser.add_argument("--record", metavar="DIR")
    parser.add_argument("--describe", action="store_true")
    parser.add_argument("--vmstate", metavar="FILE")
    args = parser.parse_args()
    with open(args.object, "rb") as f:
        elf = ELFFile(f)
        if not elf.has_dwarf_info():
            sys.exit("state-layout: %s has no DWARF (build it with -g)" % args.object)
        die = find_struct(elf, STRUCT)
        if die is None:
            sys.exit("state-layout: no struct %s in %s" % (STRUCT, args.object))
        text = describe_type(die, {})
        vmstate = []
        for name in VMSTATE_STRUCTS:
            found = find_struct(elf, name)
            if found is None:
                sys.exit("state-layout: no struct %s in %s" % (name, args.object))
            vmstate.append((name, describe_type(found, {})))
        version = read_uint(elf, "state_layout_version")
        version_min = read_uint(elf, "state_layout_version_min")
    if args.describe:
        print(text)
        return
    if args.vmstate:
        write_if_changed(args.vmstate,
                         "/* Generated by hypervisor/tools/state-layout.py: do not edit. */\n"
                         "/* The structures of a guest's state as it travels (core/vmstate.c). */\n"
                         + "".join("#define VMSTATE_DESC_%s \\\n%s\n"
                                   % (n, c_string(t).replace("\n", " \\\n")) for n, t in vmstate))
    value = fingerprint(text)
    if args.record:
        write_if_changed(os.path.join(args.record, "v%d.txt" % version), text + "\n")
        print("state-layout: recorded layout %d (0x%s) in %s" % (version, value, args.record))
        return
    if not args.header:
        print("0x%s" % value)
        return
    write_if_changed(args.header,
                     "/* Generated by hypervisor/tools/state-layout.py: do not edit. */\n"
                     "#define HV_STATE_LAYOUT 0x%sULL\n"
                     "#define HV_STATE_LAYOUT_VERSION %d\n"
                     "#define HV_STATE_LAYOUT_VERSION_MIN %d\n" % (value, version, version_min))
    if args.layouts:
        if not args.recorded:
            sys.exit("state-layout: --layouts needs --recorded DIR")
        if version_min > version:
            sys.exit("state-layout: HV_STATE_VERSION_MIN %d is above HV_STATE_VERSION %d"
                     % (version_min, version))
        write_if_changed(args.layouts, layouts_header(text, version, version_min, args.recorded))


if __name__ == "__main__":
    main()
