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
"""

import argparse
import hashlib
import os
import sys

from elftools.elf.elffile import ELFFile

STRUCT = "hv_state"


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("object")
    parser.add_argument("--header", metavar="FILE")
    parser.add_argument("--describe", action="store_true")
    args = parser.parse_args()
    with open(args.object, "rb") as f:
        elf = ELFFile(f)
        if not elf.has_dwarf_info():
            sys.exit("state-layout: %s has no DWARF (build it with -g)" % args.object)
        die = find_struct(elf, STRUCT)
        if die is None:
            sys.exit("state-layout: no struct %s in %s" % (STRUCT, args.object))
        text = describe_type(die, {})
    if args.describe:
        print(text)
        return
    value = hashlib.sha256(text.encode()).hexdigest()[:16]
    if not args.header:
        print("0x%s" % value)
        return
    content = ("/* Generated by hypervisor/tools/state-layout.py: do not edit. */\n"
               "#define HV_STATE_LAYOUT 0x%sULL\n" % value)
    try:
        with open(args.header) as f:
            if f.read() == content:
                return  # unchanged: keep its time, nothing rebuilds
    except OSError:
        pass
    os.makedirs(os.path.dirname(os.path.abspath(args.header)), exist_ok=True)
    with open(args.header + ".tmp", "w") as f:
        f.write(content)
    os.replace(args.header + ".tmp", args.header)


if __name__ == "__main__":
    main()
