#!/usr/bin/env bash
# Runs bench/fleet_bench and prints one table:
#   bench/fleet_bench.sh [BUILD_DIR]        (default: build)
# Instruction counts come from callgrind: fleet_bench brackets each
# measured loop with client requests and dumps it as "fb:NAME:ITERS";
# this script divides each dump's total by its iterations. The fork
# check's share is the inclusive cost of ms_forkgen_current in the seal
# loop (callgrind_annotate --inclusive=yes). Losses, memory and the
# latency runs (wall clock, three repetitions) run natively.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
bin=$build/bench/fleet_bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v valgrind > /dev/null || { echo "fleet_bench.sh: needs valgrind" >&2; exit 1; }

valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$work/cg.%p" "$bin" --counts \
    > "$work/counts.out" 2> "$work/callgrind.log" ||
    { cat "$work/counts.out" "$work/callgrind.log" >&2; exit 1; }

# NAME ITERS INSTRUCTIONS FILE, one line per labelled dump.
for f in "$work"/cg.*; do
    label=$(sed -n 's/^desc: Trigger: Client Request: fb:\(.*\)$/\1/p' "$f")
    [ -n "$label" ] || continue
    total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f")
    echo "${label%%:*} ${label##*:} $total $f"
done > "$work/counts"

seal_file=$(awk '$1 == "seal_64" { print $4 }' "$work/counts")
fork_ir=$(callgrind_annotate --inclusive=yes --threshold=100 "$seal_file" |
          awk '/ms_forkgen_current/ && !n++ { gsub(",", "", $1); print $1 }')
echo "forkgen ${fork_ir:-0}" >> "$work/counts"

"$bin" --fleet > "$work/fleet.out"
"$bin" --latency > "$work/latency.out"

/usr/bin/python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
per, iters = {}, {}
fork_ir = 0
for line in open(f"{work}/counts"):
    f = line.split()
    if f[0] == "forkgen":
        fork_ir = int(f[1])
        continue
    iters[f[0]] = int(f[1])
    per[f[0]] = int(f[2]) / int(f[1])

print("== 1. open cost against distinct topics (instructions per open;")
print("      replay protection off, one envelope per topic reopened;")
print("      warm-up pass first)")
print(f"{'topics':>8} {'instr/open':>11} {'vs 1 topic':>11}")
base = per["open_topics_1"]
for n in (1, 256, 257, 10000, 100000):
    k = f"open_topics_{n}"
    if k in per:
        print(f"{n:>8} {per[k]:>11.0f} {per[k] / base:>10.3f}x")

print()
print("== 4. seal and open at 64 B against raw XChaCha20-Poly1305")
print("      (instructions per operation, same run)")
rs, ro = per["raw_encrypt_64"], per["raw_decrypt_64"]
s, o = per["seal_64"], per["open_64"]
print(f"{'raw encrypt':<34} {rs:>8.0f}")
print(f"{'mqttseal_seal':<34} {s:>8.0f}   {s / rs:.3f}x raw")
print(f"{'raw encrypt, 50 B AD':<34} {per['raw_encrypt_64_ad50']:>8.0f}"
      f"   (seal {s / per['raw_encrypt_64_ad50']:.3f}x this)")
print(f"{'raw decrypt':<34} {ro:>8.0f}")
print(f"{'mqttseal_open (replay on)':<34} {o:>8.0f}   {o / ro:.3f}x raw")
print(f"{'raw decrypt, 50 B AD':<34} {per['raw_decrypt_64_ad50']:>8.0f}"
      f"   (open {o / per['raw_decrypt_64_ad50']:.3f}x this)")
fk = fork_ir / iters["seal_64"]
print(f"{'fork check (ms_forkgen_current,':<34}")
print(f"{' inclusive) per seal':<34} {fk:>8.1f}   {100 * fk / s:.2f}% of a seal;"
      f" seal / seal without it = {s / (s - fk):.4f}x")

print()
print("== 5. forged opens (valid 33-byte header, wrong tag), instructions")
names = [("forged_short_topic", "18-byte topic, 3 levels"),
         ("forged_65535_128x511", "65,535 B: 128 levels of 511 B"),
         ("forged_65535_127x1_1x65281", "65,535 B: 127 x 1 B + 65,281 B"),
         ("forged_65535_129_levels", "65,535 B, 129 levels (refused)")]
for k, d in names:
    print(f"{d:<34} {per[k]:>10.0f}   {per[k] / o:>8.1f}x a 64 B open")
PY

echo
echo "== 2. legitimate messages lost (virtual clock; 3 messages per sender,"
echo "      60 s round robin; churn: 100 devices x 1,000 restarts, 1 to 3"
echo "      messages per run, a restart every 60 s)"
echo "== 3. receiver memory after each scenario"
/usr/bin/python3 - "$work/fleet.out" <<'PY'
import sys
rows = []
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if f[0].startswith("replay_session_bytes"):
        print("   " + "   ".join(f))
        continue
    if f[0] != "fleet":
        continue
    d = dict(x.split("=", 1) for x in f[3:])
    rows.append((f[1], f[2], d))
hdr = ("scenario", "mode", "sent", "lost", "refused by", "tracked", "remem.",
       "forgot", "dropped", "replay B", "cache B", "RSS KiB", "dRSS")
fmt = "{:<15} {:<15} {:>7} {:>5} {:<10} {:>7} {:>7} {:>7} {:>7} {:>9} {:>9} {:>7} {:>6}"
print(fmt.format(*hdr))
for sc, mode, d in rows:
    print(fmt.format(sc, mode, d["sent"], d["lost"], d["refused_by"],
                     d["tracked"], d["remembered"], d["forgotten"],
                     d["dropped"], d["replay_bytes"], d["cache_bytes"],
                     d["rss_kib"], d["rss_delta_kib"]))
PY

echo
echo "== 5b. sealing thread latency (wall clock, 64 B seals on one context)"
echo "       with and without a thread opening forged messages on the"
echo "       65,535-byte 128-level topic on the same context"
cut -f2- "$work/latency.out" | grep -v '^fleet_bench'
grep -h 'fleet_bench:' "$work/counts.out" "$work/fleet.out" "$work/latency.out"
