#!/usr/bin/env bash
# Regenerate docs/report.png: the `inspect --html` report of the Kestrel fixture bundle, as
# headless chromium draws it.
#
#   scripts/screenshot-report.sh [--width PX] [--height PX]
#
# The bundle comes from the test suite's Kestrel fixture (fake kestrel, journalctl and
# systemctl over a fixture sysroot, metrics from a loopback server), written by the ignored
# test `html_report::kestrel_bundle_for_the_screenshot`, so the picture shows what the tests
# check. Needs chromium (`apt-get install chromium`); optipng, when present, shrinks the PNG.
set -euo pipefail
cd "$(dirname "$0")/.."

width=1100
height=1500
while [[ $# -gt 0 ]]; do
    case $1 in
        --width) width=$2; shift 2 ;;
        --height) height=$2; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
command -v chromium >/dev/null 2>&1 || { echo "chromium is not installed" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

REPORT_BUNDLE="$work/kestrel.zip" cargo test --locked --test cli -q \
    html_report::kestrel_bundle_for_the_screenshot -- --ignored --exact >/dev/null
cargo build --locked -q
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
"$target_dir/debug/support-bundle" inspect "$work/kestrel.zip" --html "$work/report.html" >/dev/null

timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$work/profile" --window-size="$width,$height" \
    --screenshot="$work/report.png" "file://$work/report.html" >/dev/null 2>&1

if command -v optipng >/dev/null 2>&1; then
    optipng -quiet -o5 "$work/report.png"
fi
cp "$work/report.png" docs/report.png
echo "wrote docs/report.png ($(stat -c %s docs/report.png) bytes)"
