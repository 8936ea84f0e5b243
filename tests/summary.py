#!/usr/bin/python3
"""Print the one closing line of `make check`: "N passed, N failed".

Before it, where the time went: the groups of tests (a pytest module, a
unit test program) that took longest, so that the run's budget is seen
at every run, not guessed.

Reads the JUnit XML files the test tiers wrote (cmocka for the host unit
tests, pytest for the system tests) and adds them up. Skipped tests are
reported separately and are not failures. Exit status 1 if any test failed
or errored, or if no result file held a single test (a run that tested
nothing must not look green).
"""

import sys
import xml.etree.ElementTree as ET


SLOWEST = 8


def count(path, seconds):
    """Adds up PATH's results; its time per group of tests into SECONDS."""
    passed = failed = skipped = 0
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        group = case.get("classname") or path
        try:
            seconds[group] = seconds.get(group, 0.0) + float(case.get("time", 0))
        except ValueError:
            pass
        kinds = {child.tag for child in case}
        if kinds & {"failure", "error"}:
            print("FAILED %s::%s" % (case.get("classname", path), case.get("name")))
            failed += 1
        elif "skipped" in kinds:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(paths):
    totals = [0, 0, 0]
    seconds = {}
    for path in paths:
        try:
            result = count(path, seconds)
        except (OSError, ET.ParseError) as err:
            print("summary: cannot read %s: %s" % (path, err), file=sys.stderr)
            totals[1] += 1
            continue
        for i, value in enumerate(result):
            totals[i] += value
    passed, failed, skipped = totals
    slow = sorted(seconds.items(), key=lambda item: -item[1])[:SLOWEST]
    if slow:
        print("slowest: " + ", ".join("%s %.0f s" % (group, secs) for group, secs in slow))
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
