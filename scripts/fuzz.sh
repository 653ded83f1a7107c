#!/usr/bin/env bash
# Run the stable fuzz targets (tests/fuzz.rs) for a while each.
#
#   scripts/fuzz.sh MINUTES [TARGET...]
#
#   MINUTES   how long each target runs (a whole number; 0 replays the corpus and seeds only)
#   TARGET    reader, spec, rules, redaction (default: all four, one after the other)
#
# Each target replays fuzz/corpus/<target>/ first, then mutates until its time is up. Inputs
# that show new behaviour are added to the corpus; a failing input (panic, hang over 1 s,
# leaked secret) is printed and saved there, and the script exits 1 after running the rest.
# Built with the `fuzz` profile (release optimizations, no LTO, overflow checks).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
    sed -n '2,12p' "$0" >&2
    exit 2
fi
minutes=$1
shift
targets=("$@")
(( ${#targets[@]} )) || targets=(reader spec rules redaction)

cargo test --locked --profile fuzz --test fuzz --no-run --quiet
failed=()
summary=()
for t in "${targets[@]}"; do
    echo "== fuzz $t for $minutes min"
    log=$(mktemp)
    if FUZZ_SECONDS=$((minutes * 60)) cargo test --locked --profile fuzz --quiet --test fuzz \
        -- --exact "$t" --nocapture 2>&1 | tee "$log"; then
        :
    fi
    # The test prints one summary line when it passes; anything else is a failure.
    line=$(grep "^fuzz $t: " "$log" || true)
    if [[ -n $line ]] && grep -q "test result: ok. 1 passed" "$log"; then
        summary+=("$line")
    else
        failed+=("$t")
        summary+=("fuzz $t: FAILED (see the input printed above; it is saved under fuzz/corpus/$t/)")
    fi
    rm -f "$log"
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if (( ${#failed[@]} )); then
    echo "failed targets: ${failed[*]}" >&2
    exit 1
fi
