#!/usr/bin/env bash
# Clean release builds of two revisions, back to back: the runtime (`ecrkit`
# with its default features) and the push program of each revision, in
# fresh target directories, alternating A, B, A, B. Prints wall and CPU
# seconds (user + system of the whole build: steadier than wall time on a
# machine others share). Not part of the test command.
#
#   bash scripts/build_compare.sh BASE_REV NEW_REV [ROUNDS]
#
# The push program is the command line (`ecrkit-cli`, binary `ecrkit`) where
# the revision has it, else `examples/push_image`.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: build_compare.sh BASE_REV NEW_REV [ROUNDS]}
new=${2:?usage: build_compare.sh BASE_REV NEW_REV [ROUNDS]}
rounds=${3:-2}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/a" 2>/dev/null; git worktree remove --force "$work/b" 2>/dev/null; rm -rf "$work"' EXIT
git worktree add --detach "$work/a" "$base" >/dev/null 2>&1
git worktree add --detach "$work/b" "$new" >/dev/null 2>&1
# Fetch every crate first, so downloads are not timed.
(cd "$work/a" && cargo fetch --quiet) && (cd "$work/b" && cargo fetch --quiet)

build() { # dir label what
  local dir=$1 label=$2 what=$3 target TIMEFORMAT='%R %U %S' times
  target=$(mktemp -d)
  local -a args
  if [ "$what" = runtime ]; then
    args=(-p ecrkit --lib)
  elif grep -q '^name = "ecrkit-cli"' "$dir/examples/Cargo.toml" 2>/dev/null; then
    args=(-p ecrkit-cli --bin ecrkit)
  else
    args=(-p ecr-examples --example push_image)
  fi
  times=$( { time (cd "$dir" && CARGO_TARGET_DIR="$target" cargo build --quiet --release "${args[@]}"); } 2>&1 | tail -n1)
  printf '%s %s: wall_s=%.1f cpu_s=%.1f\n' "$label" "$what" \
    "$(awk '{print $1}' <<<"$times")" "$(awk '{print $2 + $3}' <<<"$times")"
  rm -rf "$target"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1 /proc/loadavg)"
echo "base $(git rev-parse --short "$base"), new $(git rev-parse --short "$new")"
for _ in $(seq 1 "$rounds"); do
  for what in runtime program; do
    build "$work/a" base "$what"
    build "$work/b" new "$what"
  done
done
