#!/usr/bin/env bash
# The main job: pushes a generated layer to a moto server that this script
# starts on 127.0.0.1 (and stops), printing progress and the digest.
# For a real account, run the example directly with AWS_REGION and
# credentials in the environment (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
MIB=${MIB:-64}
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
export AWS_REGION=${AWS_REGION:-us-east-1} AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}
cargo run --quiet --release -p ecr-examples --example push_layer -- \
  --endpoint-url "http://127.0.0.1:$port" --repository demo/layers --create-repository --generate-mib "$MIB"
