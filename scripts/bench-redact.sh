#!/usr/bin/env bash
# Measure redaction throughput and peak memory on generated mixed logs.
#
#   scripts/bench-redact.sh [SIZE_MB]     (default 128; use 1024 for the 1 GiB RSS check)
#
# Builds release, generates SIZE_MB of journald and JSON log lines with planted secrets,
# then times, in the same run and on the same cached file:
#   baseline: read and split lines, write them out (no redaction)
#   engine:   the full default rule set (secrets + identifiers), Format::Text
# and prints both MB/s figures, their ratio and the engine's peak RSS. Uses
# `support-bundle redact` when the CLI has that subcommand, else examples/redact_stdin.
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb=${1:-128}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SUPPORT_BUNDLE_PSEUDONYM_KEY="$work/pseudonym.key"

cargo build --release --quiet --example redact_stdin --example gen_logs
redact=(target/release/examples/redact_stdin)
if cargo build --release --quiet --bin support-bundle 2>/dev/null \
    && printf 'password=hunter22\n' | target/release/support-bundle redact - 2>/dev/null \
        | grep -q 'REDACTED'; then
    redact=(target/release/support-bundle redact -)
fi
echo "engine command: ${redact[*]}"

input="$work/logs.txt"
target/release/examples/gen_logs "$size_mb" > "$input"
bytes=$(stat -c %s "$input")
cat "$input" > /dev/null # warm the page cache

# now_ns: monotonic-enough wall clock in nanoseconds.
now_ns() { date +%s%N; }

run_timed() { # prints elapsed ns; the command reads $input and writes /dev/null
    local t0 t1
    t0=$(now_ns)
    "$@" < "$input" > /dev/null 2>"$work/stderr"
    t1=$(now_ns)
    echo $((t1 - t0))
}

best() { # best of 3 runs
    local b="" t
    for _ in 1 2 3; do
        t=$(run_timed "$@")
        if [[ -z $b || $t -lt $b ]]; then b=$t; fi
    done
    echo "$b"
}

base_ns=$(best target/release/examples/redact_stdin --baseline)
eng_ns=$(best "${redact[@]}")

peak_kib=""
if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -v "${redact[@]}" < "$input" > /dev/null 2> "$work/time.txt" || true
    peak_kib=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt")
fi

awk -v bytes="$bytes" -v b="$base_ns" -v e="$eng_ns" -v rss="$peak_kib" 'BEGIN {
    mb = bytes / 1048576
    bm = mb / (b / 1e9); em = mb / (e / 1e9)
    printf "input:            %.1f MiB of generated mixed logs\n", mb
    printf "baseline (split): %8.1f MB/s\n", bm
    printf "engine (default): %8.1f MB/s\n", em
    printf "ratio:            %8.2fx slower than the baseline\n", bm / em
    if (rss != "") printf "engine peak RSS:  %8.1f MiB\n", rss / 1024
}'
