#!/usr/bin/env bash
# keygen and grant: file modes, refusing to overwrite, grants, --list.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
M=$MQTTSEAL

# keygen: mode 0600 even with umask 022, one '#' key, primary 1.
"$M" keygen root.keyring > keygen.out
check_mode root.keyring 600
grep -q '^primary 1$' root.keyring || fail "keygen: no 'primary 1'"
[ "$(grep -c '^key 1 # ' root.keyring)" = 1 ] || fail "keygen: no root key"
grep -q "root.keyring" keygen.out || fail "keygen says nothing"

# keygen refuses to overwrite; the file is unchanged.
cp root.keyring before
expect 2 "'root.keyring' already exists.*--force" -- "$M" keygen root.keyring
cmp -s root.keyring before || fail "keygen changed an existing file"

# --force replaces it atomically with a fresh key, still 0600.
chmod 600 root.keyring
"$M" keygen --force root.keyring > /dev/null
check_mode root.keyring 600
cmp -s root.keyring before && fail "keygen --force kept the old key"

# --id N
"$M" keygen --id 7 r7.keyring > /dev/null
grep -q '^primary 7$' r7.keyring || fail "keygen --id 7"
grep -q '^key 7 # ' r7.keyring || fail "keygen --id 7 key"

# Two keygens never produce the same key.
"$M" keygen other.keyring > /dev/null
a=$(awk '$1 == "key" {print $4}' root.keyring)
b=$(awk '$1 == "key" {print $4}' other.keyring)
[ -n "$a" ] && [ "$a" != "$b" ] || fail "keygen keys are not fresh"

# grant: exactly the given filters, 0600, primary = root's primary.
"$M" grant --keyring root.keyring --out dev.keyring 'site/a/#' site/b/x
check_mode dev.keyring 600
[ "$(awk '$1 == "key" {print $2, $3}' dev.keyring | sort | tr '\n' ,)" = \
  "1 site/a/#,1 site/b/x," ] || fail "grant wrote other grants: $(cat dev.keyring)"
grep -q '^primary 1$' dev.keyring || fail "grant: no primary"
grep -q ' # ' dev.keyring && fail "grant copied the root key"

# A device keyring opens what it was granted, and nothing else.
printf 'v' | "$M" seal --keyring root.keyring --topic site/a/t > a.env
printf 'v' | "$M" seal --keyring root.keyring --topic site/b/x > bx.env
printf 'v' | "$M" seal --keyring root.keyring --topic site/b/y > by.env
[ "$("$M" open --keyring dev.keyring --topic site/a/t < a.env)" = v ]
[ "$("$M" open --keyring dev.keyring --topic site/b/x < bx.env)" = v ]
expect 4 "no key granted for this topic" -- \
    "$M" open --keyring dev.keyring --topic site/b/y < by.env

# grant refuses to overwrite, and --force needs --out.
expect 2 "'dev.keyring' already exists" -- \
    "$M" grant --keyring root.keyring --out dev.keyring 'site/a/#'
"$M" grant --keyring root.keyring --out dev.keyring --force 'site/c/#'
grep -q ' site/c/# ' dev.keyring || fail "grant --force did not replace"
expect 1 "--force needs --out" -- \
    "$M" grant --keyring root.keyring --force 'site/c/#'

# '+' is refused with the explanation; nothing is written.
expect 1 "'\\+' filter cannot be granted as one key; grant each concrete" -- \
    "$M" grant --keyring root.keyring --out plus.keyring 'site/+/temp'
[ ! -e plus.keyring ] || fail "grant wrote a file for a '+' filter"
expect 1 "not a grantable filter" -- \
    "$M" grant --keyring root.keyring --out bad.keyring 'site/a#'

# Without --out the keyring text goes to stdout.
"$M" grant --keyring root.keyring 'x/#' > stdout.keyring
grep -q '^mqttseal-keyring 1$' stdout.keyring || fail "grant to stdout"

# A device keyring can grant below what it holds, not beside it.
chmod 600 stdout.keyring
"$M" grant --keyring dev.keyring --out sub.keyring site/c/d
expect 2 "cannot grant 'site/a/#' under key id 1: it holds no key" -- \
    "$M" grant --keyring dev.keyring --out no.keyring 'site/a/#'

# --list: ids, filters, expiry, primary; never key bytes.
"$M" grant --list dev.keyring root.keyring > list.out
grep -Eq '^keyring dev.keyring: 1 key, primary id 1$' list.out ||
    fail "--list header: $(cat list.out)"
grep -Eq '^1 +yes +never +site/c/#$' list.out || fail "--list row"
grep -Eq '^1 +yes +never +#$' list.out || fail "--list root row"
for k in $(awk '$1 == "key" {print $4}' dev.keyring root.keyring); do
    grep -qF "$k" list.out && fail "--list printed key bytes"
done
expect 1 "--list takes only keyring files" -- \
    "$M" grant --list --keyring root.keyring dev.keyring

# --id picks one root id; an unknown id is an error.
"$M" rotate --keyring root.keyring > /dev/null
"$M" grant --keyring root.keyring --id 1 --out only1.keyring 'q/#'
[ "$(awk '$1 == "key" {print $2}' only1.keyring | sort -u)" = 1 ] ||
    fail "grant --id 1"
"$M" grant --keyring root.keyring --out both.keyring 'q/#'
[ "$(awk '$1 == "key" {print $2}' both.keyring | sort -u | tr '\n' ,)" = \
  "1,2," ] || fail "grant without --id should derive under every id"
grep -q '^primary 2$' both.keyring || fail "grant: primary follows root"
expect 2 "has no key id 9" -- \
    "$M" grant --keyring root.keyring --id 9 --out x9.keyring 'q/#'
# Filters a keyring file cannot hold: one line naming the character (the
# list is what src/keyring_text.c refuses: space, tab, LF); Paho's own
# sample topic 'MQTT Examples' among them. A CR is data, and is written.
expect 1 "cannot grant 'MQTT Examples': it contains a space at byte 4.*space, a tab or a line feed" -- \
    "$M" grant --keyring root.keyring --out sp.keyring 'MQTT Examples'
expect 1 "cannot grant 'a\\\\tb': it contains a tab at byte 1" -- \
    "$M" grant --keyring root.keyring --out tab.keyring "$(printf 'a\tb')"
expect 1 "cannot grant 'a\\\\nb': it contains a line feed at byte 1" -- \
    "$M" grant --keyring root.keyring --out lf.keyring "$(printf 'a\nb')"
[ ! -e sp.keyring ] && [ ! -e tab.keyring ] && [ ! -e lf.keyring ] ||
    fail "grant wrote a keyring for an unwritable filter"
"$M" grant --keyring root.keyring --out cr.keyring "$(printf 'a\rb')" \
    > /dev/null || fail "grant refused a filter with a CR"
printf 'v' | "$M" seal --keyring root.keyring --topic "$(printf 'a\rb')" \
    > cr.env
[ "$("$M" open --keyring cr.keyring --topic "$(printf 'a\rb')" < cr.env)" = v ] ||
    fail "a CR filter did not round-trip through its keyring file"

# Filters longer than mqttseal_key_info's 255 bytes are compared and
# listed whole: two that differ only after byte 300 both survive rotate.
long=$(head -c 300 /dev/zero | tr '\0' x)
"$M" keygen lroot.keyring > /dev/null
"$M" grant --keyring lroot.keyring --out long.keyring "l/$long/a" "l/$long/b"
"$M" grant --list long.keyring | grep -q "l/$long/a\$" ||
    fail "grant --list cut a long filter"
"$M" rotate --keyring lroot.keyring --new-id 2 long.keyring > /dev/null ||
    fail "rotate refused long filters"
[ "$(awk '$1 == "key" {print $2, $3}' long.keyring | sort | tr '\n' ,)" = \
  "1 l/$long/a,1 l/$long/b,2 l/$long/a,2 l/$long/b," ] ||
    fail "rotate did not regenerate both long filters"
echo ok
