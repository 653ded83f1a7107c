#!/usr/bin/env bash
# Build the release binary and fail when it is larger than the size budget.
#
#   scripts/check-binary-size.sh [--budget BYTES] [--no-build | --binary PATH]
#
#   --budget BYTES   the limit (default 7750000, i.e. 7.75 MB, for x86_64 Linux with default
#                    features: SQLite for `index` and age encryption included)
#   --no-build       check target/release/support-bundle as it is
#   --binary PATH    check this binary instead (implies --no-build)
set -euo pipefail
cd "$(dirname "$0")/.."

budget=7750000
build=1
bin=${CARGO_TARGET_DIR:-target}/release/support-bundle
while [[ $# -gt 0 ]]; do
    case $1 in
        --budget) budget=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --binary) bin=$2; build=0; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

if (( build )); then
    cargo build --locked --release --quiet --bin support-bundle
fi
if [[ ! -f $bin ]]; then
    echo "no release binary at $bin" >&2
    exit 2
fi
size=$(stat -c %s "$bin")
awk -v s="$size" -v b="$budget" 'BEGIN {
    printf "release binary: %d bytes (%.2f MB); budget %d bytes (%.2f MB)\n", s, s / 1e6, b, b / 1e6
}'
if (( size > budget )); then
    echo "the release binary is $((size - budget)) bytes over its budget" >&2
    exit 1
fi
