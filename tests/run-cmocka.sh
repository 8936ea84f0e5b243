#!/bin/sh
# Runs cmocka test programs; with a JUnit prefix, each writes PREFIX-NAME.xml.
#
# Usage: tests/run-cmocka.sh DIR JUNIT_PREFIX_OR_EMPTY NAME...
#   Runs DIR/test_NAME from DIR (fixtures live there). Exits non-zero if any
#   program failed. cmocka refuses to overwrite an XML file: old ones go first.
dir=$1
junit=$2
shift 2
rc=0
for t in "$@"; do
	echo "== test_$t"
	if [ -n "$junit" ]; then
		xml="${junit%.xml}-$t.xml"
		mkdir -p "$(dirname "$xml")"
		rm -f "$xml"
		(cd "$dir" && CMOCKA_MESSAGE_OUTPUT=xml CMOCKA_XML_FILE="$xml" "./test_$t") || rc=1
	else
		(cd "$dir" && "./test_$t") || rc=1
	fi
done
exit $rc
