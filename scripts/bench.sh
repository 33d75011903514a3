#!/usr/bin/env bash
# Benchmarks, side by side with aws-sdk-ecr (bench/peer, outside the
# workspace) against the same loopback sink. Not part of the test command.
#
#   bash scripts/bench.sh            # push 512 MiB and 1 GiB, 10 MiB parts; 10,000 small calls
#   BASE=<git rev> bash scripts/bench.sh   # the same, with that revision's push_bench run
#                                    # alternately beside ours ("base" lines: before/after a change)
#   bash scripts/bench.sh load       # peak memory of 16 image pushes at once through the fault proxy
#   bash scripts/bench.sh encoders   # the push with base64-simd in the part encoder vs the base64 crate
#   bash scripts/bench.sh build      # clean release builds and stripped sizes: the ecrkit command line vs the peer,
#                                    # then ecrkit alone (default features)
#   bash scripts/bench.sh registry   # the registry protocol, 1 GiB layout: ours vs skopeo vs curl, pull and push
#   cargo bench -p ecr-bench         # criterion: signed request build vs the base64+SHA-256 floor
#
# The client runs on CPU $PIN_CLIENT (default 0) and the sink on CPU
# $PIN_SERVER (default 1), so that neither steals the other's core.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

if [ "$mode" = build ]; then
  # Each side twice: under this workspace's release profile (no local
  # ThinLTO, abort on panic) and under Cargo's default one, so the profile's
  # share and the dependencies' share can be told apart.
  # The crates this workspace builds at opt-level 1 (its Cargo.toml says
  # why): the "cold" variants move them, on either side, to the other level,
  # so the choice's share is measured in the same run.
  cold=(aws-config aws-sdk-sts aws-sdk-sso aws-sdk-ssooidc aws-smithy-runtime aws-runtime
    aws-smithy-schema aws-smithy-json aws-smithy-xml aws-smithy-query aws-types
    clap_builder indicatif console tracing-subscriber)
  cold_at() { # level: --config arguments for every cold crate
    local pkg
    for pkg in "${cold[@]}"; do printf -- '--config\nprofile.release.package.%s.opt-level=%s\n' "$pkg" "$1"; done
  }
  build_one() { # side profile [cold level]
    local side=$1 profile=$2 level=${3:-} dir bin start end
    local -a env=() cfg=()
    if [ -n "$level" ]; then
      mapfile -t cfg < <(cold_at "$level")
    fi
    # Debug info off on both sides in both profiles (Cargo's default), so
    # that no setting a profiler wants makes either build slower.
    if [ "$profile" = workspace ]; then
      env=(CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_PANIC=abort CARGO_PROFILE_RELEASE_DEBUG=false)
    else
      env=(CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_PANIC=unwind CARGO_PROFILE_RELEASE_DEBUG=false)
    fi
    dir=$(mktemp -d)
    start=$(date +%s.%N)
    # CPU seconds (user+sys of the whole build) beside the wall time: on a
    # shared machine they vary less from run to run.
    local TIMEFORMAT='%U %S'
    if [ "$side" = ours ]; then
      { time env "${env[@]}" CARGO_TARGET_DIR="$dir" cargo build --quiet --release "${cfg[@]}" -p ecrkit-cli --bin ecrkit; } 2>"$dir/cpu" ||
        { cat "$dir/cpu" >&2; return 1; }
      bin=$dir/release/ecrkit
    elif [ "$side" = ecrkit ]; then
      # The library alone with its default features (the whole API, the
      # whole credentials chain, both root stores): no binary to strip.
      { time env "${env[@]}" CARGO_TARGET_DIR="$dir" cargo build --quiet --release "${cfg[@]}" -p ecrkit; } 2>"$dir/cpu" ||
        { cat "$dir/cpu" >&2; return 1; }
      bin=
    else
      { time (cd bench/peer && env "${env[@]}" CARGO_TARGET_DIR="$dir" cargo build --quiet --release "${cfg[@]}"); } 2>"$dir/cpu" ||
        { cat "$dir/cpu" >&2; return 1; }
      bin=$dir/release/peer-bench
    fi
    end=$(date +%s.%N)
    local size=-
    if [ -n "$bin" ]; then
      strip -o "$dir/stripped" "$bin"
      size=$(stat -c %s "$dir/stripped")
    fi
    printf '%s%s profile=%s clean_release_build_s=%.0f cpu_s=%.0f stripped_bytes=%s crates=%s\n' "$side" "${level:+ cold_opt_level=$level}" "$profile" \
      "$(echo "$end - $start" | bc)" "$(tail -n1 "$dir/cpu" | awk '{print $1 + $2}')" \
      "$size" "$(ls "$dir/release/deps" | grep -c '\.rlib$')"
    rm -rf "$dir"
  }
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1 /proc/loadavg)"
  for profile in workspace default; do
    build_one ours $profile
    build_one peer $profile
  done
  # Like for like on the opt-level choice: the peer with the same crates at
  # opt-level 1 (its aws-sdk-ecr, its push path, keeps the full level), and
  # ours without the choice.
  build_one peer default 1
  build_one ours workspace 3
  build_one ecrkit workspace
  exit 0
fi

if [ "$mode" = registry ]; then
  exec bash scripts/bench_registry.sh "${@:2}"
fi

PIN_CLIENT=${PIN_CLIENT:-0}
PIN_SERVER=${PIN_SERVER:-1}
client() { taskset -c "$PIN_CLIENT" "$@"; }

if [ "$mode" = load ]; then
  # The load test (16 images of three layers at once through the fault
  # proxy, moto behind it) with the peak resident memory of its process:
  # the client and the in-process proxy; moto runs apart, on the other core.
  # No peer figure: aws-sdk-ecr has no image push.
  bin=$(cargo test --quiet --release -p ecr-tests --test load --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys; print([j["executable"] for j in map(json.loads, sys.stdin) if j.get("executable")][-1])')
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1 /proc/loadavg)"
  for run in 1 2 3; do
    ECR_TESTS_SERVER_CPU=$PIN_SERVER /usr/bin/time -f "load run $run: peak_rss_kib=%M wall_s=%e cpu_s=%U+%S" \
      taskset -c "$PIN_CLIENT" "$bin" --nocapture 2>&1 |
      grep -E "^load"
  done
  exit 0
fi

cargo build --quiet --release -p ecr-bench --bins
OURS=target/release/push_bench
if [ "$mode" = encoders ]; then
  # The same program with the base64 crate in the part encoder.
  cargo build --quiet --release -p ecr-bench --bins --no-default-features --target-dir target/bench-nosimd
  PEER=target/bench-nosimd/release/push_bench
else
  (cd bench/peer && cargo build --quiet --release --target-dir ../../target/peer)
  PEER=target/peer/release/peer-bench
fi
BASE_BIN=
if [ -n "${BASE:-}" ]; then
  # Another revision's push_bench, built from a worktree of it.
  rm -rf target/bench-base-src
  git worktree add --force --detach target/bench-base-src "$BASE" >/dev/null
  (cd target/bench-base-src && cargo build --quiet --release -p ecr-bench --bin push_bench --target-dir ../bench-base)
  git worktree remove --force target/bench-base-src
  BASE_BIN=target/bench-base/release/push_bench
fi

# One sink per part size: the uploader uses the part size InitiateLayerUpload
# returns, so the 20 MiB runs need a sink that asks for 20 MiB parts.
sinks=()
trap 'kill "${sinks[@]}" 2>/dev/null || true' EXIT
for size in 10485760 20971520; do
  taskset -c "$PIN_SERVER" target/release/sink 0 "$size" > "target/sink-$size.out" 2>&1 &
  sinks+=($!)
done
endpoint_of() {
  for _ in $(seq 1 50); do grep -q listening "target/sink-$1.out" 2>/dev/null && break; sleep 0.1; done
  echo "http://$(sed -n 's/listening on //p' "target/sink-$1.out")"
}
endpoint10=$(endpoint_of 10485760)
endpoint20=$(endpoint_of 20971520)

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
pair() {
  local ours peer endpoint=$endpoint10
  if [ "$1" = push ] && [ "$3" = 20 ]; then endpoint=$endpoint20; fi
  ours=$(client $OURS "$1" "$endpoint" "${@:2}")
  peer=$(client $PEER "$1" "$endpoint" "${@:2}")
  if [ "$mode" = encoders ]; then peer=${peer/#ours/base64-crate}; fi
  echo "$ours"
  echo "$peer"
  if [ -n "$BASE_BIN" ]; then
    local base
    base=$(client $BASE_BIN "$1" "$endpoint" "${@:2}")
    echo "${base/#ours/base}"
    if [ "$1" = push ]; then
      printf '  ours/base: throughput %.3fx, cpu %.3fx\n' \
        "$(echo "$(field mb_per_s "$ours") / $(field mb_per_s "$base")" | bc -l)" \
        "$(echo "$(field cpu_s "$ours") / $(field cpu_s "$base")" | bc -l)"
    else
      printf '  ours/base: calls/s %.3fx, cpu per call %.3fx\n' \
        "$(echo "$(field calls_per_s "$ours") / $(field calls_per_s "$base")" | bc -l)" \
        "$(echo "$(field cpu_us_per_call "$ours") / $(field cpu_us_per_call "$base")" | bc -l)"
    fi
  fi
  if [ "$1" = push ]; then
    printf '  ratio: throughput %.2fx, cpu %.2fx, peak rss %.2fx\n' \
      "$(echo "$(field mb_per_s "$ours") / $(field mb_per_s "$peer")" | bc -l)" \
      "$(echo "$(field cpu_s "$ours") / $(field cpu_s "$peer")" | bc -l)" \
      "$(echo "$(field peak_rss_mib "$ours") / $(field peak_rss_mib "$peer")" | bc -l)"
  else
    printf '  ratio: calls/s %.2fx, cpu per call %.2fx\n' \
      "$(echo "$(field calls_per_s "$ours") / $(field calls_per_s "$peer")" | bc -l)" \
      "$(echo "$(field cpu_us_per_call "$ours") / $(field cpu_us_per_call "$peer")" | bc -l)"
  fi
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), client on CPU $PIN_CLIENT, sink on CPU $PIN_SERVER, load $(cut -d' ' -f1 /proc/loadavg)"
if [ "$mode" = encoders ]; then
  for _ in 1 2 3; do
    pair push 512 10
    pair push 512 20
  done
  exit 0
fi
pair push 512 10
pair push 1024 10
pair push 512 20
pair calls 10000
