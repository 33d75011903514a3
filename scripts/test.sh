#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what the tests need (the venv
# with moto, the pinned botocore sdist, the CNCF registry and skopeo from
# Debian), then the whole workspace's tests, formatting and lints.
set -euo pipefail
cd "$(dirname "$0")/.."
# Disk is the resource a clean run is most likely to run out of: say how much
# there is before and how much the build took after.
echo "disk free before the build: $(df -h . | awk 'NR==2 {print $4}')"
bash scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The API's feature gates: ecrkit (library and unit tests) with no area
# (the runtime alone, as a crate declaring another service's operations
# uses it), with the command line's set, and with each feature of `full` alone,
# lint-clean. The workspace-wide runs above unify ecrkit's features to
# `full`, so the crates that take fewer are linted on their own too.
full=$(python3 -c 'import tomllib; print(" ".join(tomllib.load(open("ecr-core/Cargo.toml", "rb"))["features"]["full"]))')
for features in "" "push,repositories" $full; do
    echo "ecrkit --no-default-features --features '$features'"
    cargo clippy -p ecrkit --all-targets --quiet --no-default-features --features "$features" -- -D warnings
done
cargo clippy -p ecrkit-cli --all-targets --quiet -- -D warnings
cargo clippy -p downstream --all-targets --quiet -- -D warnings
# The mocks (`test-util`, outside `full`), with the default features and
# with `full` but no root certificates (`webpki-roots` and `native-roots`
# are in the default set, not in `full`).
cargo clippy -p ecrkit --all-targets --quiet --features test-util -- -D warnings
cargo clippy -p ecrkit --all-targets --quiet --no-default-features --features "full test-util" -- -D warnings
# The docs as docs.rs builds them (every feature): no broken intra-doc
# link, no bare URL. Reduced-feature builds allow links to gated modules.
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps -p ecrkit -p ecrkit-macros --all-features
# From here a failure is recorded, not fatal: every suite runs and the
# summaries print.
set +e
cargo test --workspace --no-fail-fast -- --nocapture 2>&1 | tee target/test-output.txt
status=${PIPESTATUS[0]}
# The mocks' doc example (the module exists with `test-util` only; the
# workspace run above enables it through ecr-tests, this one says so).
cargo test -p ecrkit --doc --features test-util -- --nocapture mock 2>&1 | tee -a target/test-output.txt
[ "${PIPESTATUS[0]}" = 0 ] || status=1
# The part encoder without `simd-base64` (the base64 crate's encoder).
cargo test -p ecrkit --lib --no-default-features --features push -- --nocapture push::part 2>&1 | tee -a target/test-output.txt
[ "${PIPESTATUS[0]}" = 0 ] || status=1
# The command line installs as users install it (a debug build, into a
# scratch root; the workspace's target directory is reused), and runs.
rm -rf target/cli-install
if cargo install --quiet --locked --debug --path examples --root target/cli-install --target-dir target 2>&1 | tee -a target/test-output.txt &&
   target/cli-install/bin/ecrkit --version | tee -a target/test-output.txt | grep -q '^ecrkit '; then
  echo "cargo install --path examples: ok" | tee -a target/test-output.txt
else
  echo "cargo install --path examples: FAILED" | tee -a target/test-output.txt
  status=1
fi
# Both crates as crates.io would get them: packaged (README, LICENSE) and
# built from the package, ecrkit against the packaged ecrkit-macros.
cargo package -p ecrkit-macros -p ecrkit --allow-dirty 2>&1 | tee target/package-output.txt | tail -n 3
[ "${PIPESTATUS[0]}" = 0 ] || status=1
grep -E "^\s+Packaged" target/package-output.txt | sed 's/^ */package: /' || true
# No import circle between the files of a crate.
python3 scripts/check_imports.py ecr-core ecr-macros 2>&1 | tee target/imports-output.txt
[ "${PIPESTATUS[0]}" = 0 ] || status=1
# Fuzz smoke: a few thousand executions per cargo-fuzz target.
bash scripts/fuzz_smoke.sh 2>&1 | tee target/fuzz-output.txt || status=1
echo
echo "== Suite summaries"
grep -E "^(awsJson1\.[01]( query-compatible)? (input|output) suite|SigV4 suite|ECR model conformance|DynamoDB model conformance|bad-input catalog|load|credentials chain|cargo install --path examples):" target/test-output.txt || true
# The fault matrix prints a line per part (tests/fault_matrix): added up
# here, by transport, into one.
awk 'match($0, /fault matrix part: .*/) {
       n = split(substr($0, RSTART + 19), kv, /[ =]/)
       for (i = 1; i < n; i += 2) v[kv[i]] = kv[i + 1]
       faults[v["transport"]] += v["faults"]; pushes += v["pushes"]; pulls += v["pulls"]; lost += v["lost"]; parts++
     }
     END { if (parts) printf "fault matrix: api %d and registry %d faults injected, %d pushes and %d pulls completed, %d bytes lost (%d parts)\n", faults["api"], faults["registry"], pushes, pulls, lost, parts }' target/test-output.txt
grep -E "^fuzz" target/fuzz-output.txt || true
# The registry tests (registry_interop, registry_ecr, pull_copy) print a
# line per case that passed, against the CNCF registry and skopeo.
echo "registry interop: $(grep -c '^registry case passed:' target/test-output.txt || true) cases passed with skopeo $(skopeo --version | awk '{print $NF}') and registry $(docker-registry --version | awk '{print $NF}' | cut -d+ -f1)"
grep -E "^import circles" target/imports-output.txt || true
echo "disk: target/ holds $(du -sh target 2>/dev/null | cut -f1), fuzz/target $(du -sh fuzz/target 2>/dev/null | cut -f1), $(df -h . | awk 'NR==2 {print $4}') free"
grep -E "^test result:" target/test-output.txt | awk '{p+=$4; f+=$6} END {print "tests: " p " passed, " f " failed"}'
exit "$status"
