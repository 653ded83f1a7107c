#!/usr/bin/env bash
# Measure `support-bundle redact` throughput and peak memory on generated logs.
#
#   scripts/bench-redact.sh [--size-mb N] [--runs N] [--rss-gib N] [--profile P] [--against BIN]
#
#   --size-mb N    throughput input size in MiB (default 128; at least 100)
#   --runs N       timed runs of each command, best one counts (default 3)
#   --rss-gib N    also redact an N GiB input once, on every core, and report the peak RSS
#   --profile P    only this corpus (`mixed` or `journald`; default: both)
#   --against BIN  also time another `support-bundle` binary (an older build), one thread
#
# Builds release, generates each corpus with `examples/gen_logs --profile P` (`mixed`:
# access logs with many client addresses, JSON access and application logs, journald
# request dumps with headers; `journald`: journald and JSON lines with planted secrets among
# decoys), then on the same cached file, alternating the commands so all see the same load:
#   baseline:  read and split lines, write them out (`examples/redact_stdin --baseline`)
#   1 thread:  `support-bundle redact --threads 1 FILE`, full default rule set (secrets,
#              vendors, identifiers), text format
#   all cores: `support-bundle redact FILE` (one worker per CPU)
# and prints MB/s (1 MB = 10^6 bytes), ratios against the baseline, and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb=128
runs=3
rss_gib=0
profiles=(mixed journald)
against=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --size-mb) size_mb=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --rss-gib) rss_gib=$2; shift 2 ;;
        --profile) profiles=("$2"); shift 2 ;;
        --against) against=$2; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
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
bin=target/release/support-bundle
gen=target/release/examples/gen_logs

# Refuse to report numbers for an engine that does not redact.
if ! printf 'password=hunter22 AKIAIOSFODNN7EXAMPLF\n' | "$bin" redact - | grep -q 'REDACTED'; then
    echo "support-bundle redact did not redact a planted secret" >&2
    exit 1
fi

now_ns() { date +%s%N; }

# peak_kib IN CMD...: run once with stdin from IN, print the peak RSS in KiB.
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

printf 'best of %d runs, %d CPUs, load average %s\n' "$runs" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
for profile in "${profiles[@]}"; do
    input="$work/$profile.log"
    "$gen" "$size_mb" --profile "$profile" > "$input"
    bytes=$(stat -c %s "$input")
    cat "$input" > /dev/null # warm the page cache
    names=(baseline one all)
    declare -A best=()
    cmds_baseline=(target/release/examples/redact_stdin --baseline)
    cmds_one=("$bin" redact --threads 1 "$input")
    cmds_all=("$bin" redact "$input")
    cmds_against=()
    if [[ -n $against ]]; then
        names+=(against)
        cmds_against=("$against" redact --threads 1 "$input")
    fi
    for _ in $(seq "$runs"); do
        for which in "${names[@]}"; do
            declare -n cmd="cmds_$which"
            t0=$(now_ns)
            "${cmd[@]}" < "$input" > /dev/null 2>"$work/stderr"
            t=$(( $(now_ns) - t0 ))
            [[ -z ${best[$which]:-} || $t -lt ${best[$which]} ]] && best[$which]=$t
        done
    done
    rss_one=$(peak_kib "$input" "$bin" redact --threads 1 -)
    rss_all=$(peak_kib "$input" "$bin" redact "$input")
    awk -v bytes="$bytes" -v p="$profile" -v b="${best[baseline]}" -v o="${best[one]}" \
        -v a="${best[all]}" -v x="${best[against]:-}" -v r1="$rss_one" -v ra="$rss_all" 'BEGIN {
        bm = bytes / 1e6 / (b / 1e9); om = bytes / 1e6 / (o / 1e9); am = bytes / 1e6 / (a / 1e9)
        printf "\n%s: %.1f MB\n", p, bytes / 1e6
        printf "  baseline (split):       %8.1f MB/s\n", bm
        printf "  engine, 1 thread:       %8.1f MB/s  (baseline / engine %.1fx), peak RSS %.1f MiB\n", om, bm / om, r1 / 1024
        printf "  engine, all cores:      %8.1f MB/s  (baseline / engine %.1fx), peak RSS %.1f MiB\n", am, bm / am, ra / 1024
        if (x != "") {
            xm = bytes / 1e6 / (x / 1e9)
            printf "  --against, 1 thread:    %8.1f MB/s  (this build, 1 thread: %.2fx)\n", xm, om / xm
        }
    }'
    rm -f "$input"
    unset best
done

if (( rss_gib > 0 )); then
    # Stream the big input straight from the generator: no GiB-sized temp file.
    mkfifo "$work/big"
    "$gen" $(( rss_gib * 1024 )) > "$work/big" &
    rss_big=$(peak_kib "$work/big" "$bin" redact -)
    wait
    printf '\nengine, all cores: peak RSS %.1f MiB on %d GiB of mixed logs\n' "$(echo "$rss_big / 1024" | bc -l)" "$rss_gib"
fi
