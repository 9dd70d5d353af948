#!/bin/sh
# Compare the dynamic symbols a shared library exports with a checked-in
# list, and fail with a diff on any addition or removal:
#
#   check-symbols.sh LIBRARY.so EXPECTED.symbols [VERSION_NODE]
#
# EXPECTED lists one symbol per line (# comments and blank lines are
# ignored). With VERSION_NODE, every exported symbol must also carry that
# symbol version (the version script was applied).
set -eu
lib=$1
list=$2
node=${3:-}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -v -e '^#' -e '^[[:space:]]*$' "$list" | LC_ALL=C sort -u > "$tmp/expected"

# readelf --dyn-syms: defined (Ndx not UND), global or weak, not the
# version node's own ABS symbol; names may carry @VERSION or @@VERSION.
readelf -W --dyn-syms "$lib" |
    awk '$5 ~ /^(GLOBAL|WEAK)$/ && $7 != "UND" && $7 != "ABS" && NF >= 8 \
         { print $8 }' > "$tmp/raw"
sed 's/@.*//' "$tmp/raw" | LC_ALL=C sort -u > "$tmp/actual"

status=0
if ! diff -u "$tmp/expected" "$tmp/actual" > "$tmp/diff"; then
    echo "$lib exports a different set of symbols than $list"
    echo "(- only in the list, + only in the library):"
    cat "$tmp/diff"
    status=1
fi
if [ -n "$node" ]; then
    if grep -v "@@*$node\$" "$tmp/raw" > "$tmp/unversioned"; then
        echo "symbols without version $node:"
        cat "$tmp/unversioned"
        status=1
    fi
fi
[ $status -eq 0 ] && echo "$lib: $(wc -l < "$tmp/actual") symbols, as listed"
exit $status
