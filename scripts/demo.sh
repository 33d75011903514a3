#!/usr/bin/env bash
# The main job: generates an OCI image layout (three layers, one of 60 MiB),
# starts a moto server on 127.0.0.1, pushes the image to it with the
# `ecrkit` command line (examples/; a bar per layer on a terminal, plain
# lines otherwise), and lists what the repository then holds. The server is
# stopped at the end. For a real account, run `ecrkit` directly (README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
cargo build --quiet --release -p ecrkit-cli
ecrkit=target/release/ecrkit
layout=$(mktemp -d)
python3 scripts/make_layout.py "$layout" v1 1 8 60
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true; rm -rf "$layout"' EXIT
for _ in $(seq 1 100); do
  (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
export AWS_REGION=${AWS_REGION:-us-east-1} AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}
endpoint="http://127.0.0.1:$port"
set -x
"$ecrkit" push demo/app "$layout" --create-repository --endpoint-url "$endpoint"
"$ecrkit" ls demo/app --endpoint-url "$endpoint"
{ set +x; } 2>/dev/null
