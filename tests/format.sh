#!/bin/sh
# format.sh: every C file of sim/ and tests/ must match the repo's .clang-format
# (clang-format --dry-run --Werror). Prints the deviations and exits 1 if any;
# `clang-format -i FILE` fixes them. Exits 2 when clang-format is missing.
set -u
cd "$(dirname "$0")/.." || exit 2
if ! command -v clang-format >/dev/null 2>&1; then
	echo "format.sh: clang-format not found (apt-get install clang-format)" >&2
	exit 2
fi
files=$(git ls-files 'sim/*.[ch]' 'tests/*.[ch]' 2>/dev/null || find sim tests -name '*.[ch]')
# shellcheck disable=SC2086
if clang-format --dry-run --Werror $files 2>"${TMPDIR:-/tmp}/poolsim-format.$$"; then
	n=$(echo "$files" | wc -w)
	echo "format.sh: $n files clean: 1 passed, 0 failed"
	rm -f "${TMPDIR:-/tmp}/poolsim-format.$$"
	exit 0
fi
head -n 40 "${TMPDIR:-/tmp}/poolsim-format.$$" >&2
echo "format.sh: deviations from .clang-format (run clang-format -i on the files above): 0 passed, 1 failed" >&2
rm -f "${TMPDIR:-/tmp}/poolsim-format.$$"
exit 1
