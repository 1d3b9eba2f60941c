#!/usr/bin/env bash
# Instruction counts of `brine check` on fixed inputs under callgrind. Unlike wall time they barely
# move on a shared, noisy machine, so they are the figures to compare between commits.
#
# Usage: bash scripts/callgrind.sh [brine binary]   (default: target/release/brine, built if missing)
# Inputs: the demo workspace, and transformers' models/bert folder from the corpus when it has been
# fetched (bash scripts/fetch_corpus.sh). One thread, so the counts do not depend on scheduling.
set -euo pipefail
cd "$(dirname "$0")/.."

BRINE="${1:-target/release/brine}"
[ -x "$BRINE" ] || cargo build --release --locked
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }

inputs=(examples/demo)
bert=bench-data/transformers-5.24.0/transformers/models/bert
[ -d "$bert" ] && inputs+=("$bert")

out="$(mktemp -d)"
for input in "${inputs[@]}"; do
    RAYON_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
        "$BRINE" check "$input" --exit-zero >/dev/null 2>"$out/log" || { cat "$out/log" >&2; exit 1; }
    instructions="$(grep -E '^(summary|totals):' "$out/callgrind.out" | head -n1 | awk '{print $2}')"
    printf '%-60s %15s instructions\n' "$input" "$instructions"
done
rm -rf "$out"
