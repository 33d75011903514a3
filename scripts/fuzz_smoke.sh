#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ and runs each briefly.
#
#   scripts/fuzz_smoke.sh                 # 3000 executions per target
#   FUZZ_RUNS=20000 scripts/fuzz_smoke.sh
#   FUZZ_SECONDS=300 scripts/fuzz_smoke.sh   # a long run: 5 minutes per target
#   FUZZ_TARGETS="sign_headers" scripts/fuzz_smoke.sh
#
# Installs cargo-fuzz from crates.io when it is missing. cargo-fuzz passes
# nightly-only rustc flags (-Zsanitizer, -Cpasses=sancov): by default they go
# to the workspace's own (stable) toolchain with RUSTC_BOOTSTRAP=1, which
# needs no nightly and builds with the compiler the tests use;
# FUZZ_TOOLCHAIN=nightly uses a rustup nightly instead. New corpus entries go to
# a temporary directory (the committed seeds in fuzz/seeds stay as they
# are); a crash leaves its input in fuzz/artifacts/<target>/ and fails the
# script. Prints one line per target:
#   fuzz <target>: <N> execs, 0 crashes
# and a last line: fuzz smoke: <T> targets, <N> execs, <C> crashes
set -uo pipefail
cd "$(dirname "$0")/.."

runs=${FUZZ_RUNS:-3000}
seconds=${FUZZ_SECONDS:-}
read -r -a targets <<<"${FUZZ_TARGETS:-parse_output parse_error sign_headers validate_request serde_roundtrip part_digests manifests image_sources journal}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: installing it from crates.io"
    cargo install cargo-fuzz --locked || exit 1
fi

toolchain=()
if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then
    toolchain=("+$FUZZ_TOOLCHAIN")
else
    export RUSTC_BOOTSTRAP=1
fi

cd fuzz
if ! cargo "${toolchain[@]}" fuzz build; then
    echo "fuzz smoke: the fuzz targets do not build"
    exit 1
fi

corpus_root=$(mktemp -d)
trap 'rm -rf "$corpus_root"' EXIT
total=0
crashes=0
for target in "${targets[@]}"; do
    corpus="$corpus_root/$target"
    mkdir -p "$corpus" "seeds/$target" "artifacts/$target"
    limit=(-runs="$runs")
    if [ -n "$seconds" ]; then
        limit=(-max_total_time="$seconds")
    fi
    log="$corpus_root/$target.log"
    dict=()
    if [ "$target" != sign_headers ]; then
        dict=(-dict="$PWD/json.dict")
    fi
    cargo "${toolchain[@]}" fuzz run "$target" "$corpus" "seeds/$target" -- \
        "${limit[@]}" -seed=1 -max_len=65536 "${dict[@]}" -print_final_stats=1 \
        >"$log" 2>&1
    status=$?
    execs=$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}' | tail -1)
    execs=${execs:-0}
    total=$((total + execs))
    if [ "$status" -ne 0 ]; then
        crashes=$((crashes + 1))
        echo "fuzz $target: $execs execs, CRASH (exit $status); last lines:"
        tail -40 "$log"
    else
        echo "fuzz $target: $execs execs, 0 crashes"
    fi
done
echo "fuzz smoke: ${#targets[@]} targets, $total execs, $crashes crashes"
[ "$crashes" -eq 0 ]
