#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what the tests need (the venv
# with moto, the pinned botocore sdist), then the whole workspace's tests,
# formatting and lints.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace --no-fail-fast -- --nocapture 2>&1 | tee target/test-output.txt
status=${PIPESTATUS[0]}
echo
echo "== Suite summaries"
grep -E "^(awsJson1.1 (input|output) suite|SigV4 suite|ECR model conformance|bad-input catalog):" target/test-output.txt || true
grep -E "^test result:" target/test-output.txt | awk '{p+=$4; f+=$6} END {print "tests: " p " passed, " f " failed"}'
exit "$status"
