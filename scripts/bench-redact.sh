#!/usr/bin/env bash
# Measure `support-bundle redact` throughput and peak memory on generated mixed logs.
#
#   scripts/bench-redact.sh [--size-mb N] [--runs N] [--rss-gib N]
#
#   --size-mb N   throughput input size in MiB (default 128; at least 100)
#   --runs N      timed runs of each command, best one counts (default 3)
#   --rss-gib N   also redact an N GiB input once and report the peak RSS (default: off)
#
# Builds release, generates the input with `examples/gen_logs` (journald and JSON lines,
# secrets planted among decoys), then on the same cached file, alternating the two commands
# so both see the same machine load:
#   baseline: read and split lines, write them out (`examples/redact_stdin --baseline`)
#   engine:   `target/release/support-bundle redact -`, full default rule set (secrets and
#             identifiers), text format
# and prints both MB/s figures (1 MB = 10^6 bytes), their ratio, and the engine's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb=128
runs=3
rss_gib=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --size-mb) size_mb=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --rss-gib) rss_gib=$2; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
if (( size_mb < 100 )); then
    echo "--size-mb must be at least 100" >&2
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SUPPORT_BUNDLE_PSEUDONYM_KEY="$work/pseudonym.key"

cargo build --release --quiet --bin support-bundle --example redact_stdin --example gen_logs
engine=(target/release/support-bundle redact -)
baseline=(target/release/examples/redact_stdin --baseline)
gen=target/release/examples/gen_logs

# Refuse to report numbers for an engine that does not redact.
if ! printf 'password=hunter22 AKIAIOSFODNN7EXAMPLF\n' | "${engine[@]}" | grep -q 'REDACTED'; then
    echo "support-bundle redact did not redact a planted secret" >&2
    exit 1
fi

now_ns() { date +%s%N; }

# peak_kib CMD...: run once on $input, print the peak RSS in KiB ("" when unmeasurable).
peak_kib() {
    local in=$1; shift
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -v "$@" < "$in" > /dev/null 2> "$work/time.txt"
        awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt"
        return
    fi
    # No GNU time: poll /proc while it runs.
    "$@" < "$in" > /dev/null 2>/dev/null &
    local pid=$! peak=0 v
    while kill -0 "$pid" 2>/dev/null; do
        v=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        [[ -n $v && $v -gt $peak ]] && peak=$v
        sleep 0.05
    done
    wait "$pid"
    echo "$peak"
}

input="$work/logs.txt"
"$gen" "$size_mb" > "$input"
bytes=$(stat -c %s "$input")
cat "$input" > /dev/null # warm the page cache

best_base="" best_eng=""
for _ in $(seq "$runs"); do
    for which in base eng; do
        if [[ $which == base ]]; then cmd=("${baseline[@]}"); else cmd=("${engine[@]}"); fi
        t0=$(now_ns)
        "${cmd[@]}" < "$input" > /dev/null 2>"$work/stderr"
        t=$(( $(now_ns) - t0 ))
        if [[ $which == base ]]; then
            [[ -z $best_base || $t -lt $best_base ]] && best_base=$t
        else
            [[ -z $best_eng || $t -lt $best_eng ]] && best_eng=$t
        fi
    done
done
rss=$(peak_kib "$input" "${engine[@]}")

rss_big="" big_bytes=0
if (( rss_gib > 0 )); then
    # Stream the big input straight from the generator: no GiB-sized temp file.
    mkfifo "$work/big"
    "$gen" $(( rss_gib * 1024 )) > "$work/big" &
    rss_big=$(peak_kib "$work/big" "${engine[@]}")
    wait
    big_bytes=$(( rss_gib << 30 ))
fi

awk -v bytes="$bytes" -v b="$best_base" -v e="$best_eng" -v rss="$rss" -v runs="$runs" \
    -v big="$rss_big" -v gib="$rss_gib" -v cpus="$(nproc)" 'BEGIN {
    bm = bytes / 1e6 / (b / 1e9); em = bytes / 1e6 / (e / 1e9)
    printf "input:              %.1f MB of generated mixed logs, best of %d runs, %d CPUs\n", bytes / 1e6, runs, cpus
    printf "baseline (split):   %8.1f MB/s\n", bm
    printf "engine (defaults):  %8.1f MB/s\n", em
    printf "ratio:              %8.1fx (baseline / engine)\n", bm / em
    printf "engine peak RSS:    %8.1f MiB on %.0f MB\n", rss / 1024, bytes / 1e6
    if (big != "") printf "engine peak RSS:    %8.1f MiB on %d GiB\n", big / 1024, gib
}'
