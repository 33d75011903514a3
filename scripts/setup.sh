#!/usr/bin/env bash
# Installs what the tests need and is idempotent: a Python venv with moto's
# server and botocore's pinned source distribution (protocol, SigV4 and model
# suites), both fetched from PyPI; and from Debian: tmux, in which the
# command line's progress bars are tested, and for the registry tests the
# CNCF registry (docker-registry 2.8.2), skopeo 1.9.3, htpasswd
# (apache2-utils), and GNU time for the registry benchmarks. Nothing
# third-party is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
BOTOCORE_VERSION=1.44.5
MOTO_VERSION=5.2.5
VENV=.venv
ORACLES=target/oracles

if [ ! -x "$VENV/bin/moto_server" ] || ! "$VENV/bin/python" -c "import moto, botocore; assert moto.__version__ == '$MOTO_VERSION'" 2>/dev/null; then
  echo "setup: creating $VENV with moto[server]==$MOTO_VERSION"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" "botocore==$BOTOCORE_VERSION"
fi

if [ ! -f "$ORACLES/botocore-$BOTOCORE_VERSION/setup.py" ]; then
  echo "setup: fetching botocore-$BOTOCORE_VERSION source distribution"
  mkdir -p "$ORACLES/dl"
  "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    "botocore==$BOTOCORE_VERSION" -d "$ORACLES/dl"
  tar -xzf "$ORACLES/dl/botocore-$BOTOCORE_VERSION.tar.gz" -C "$ORACLES"
fi
ln -sfn "botocore-$BOTOCORE_VERSION" "$ORACLES/botocore"

# Debian packages: command -> package (tmux: the command line's terminal
# test drives the program in a tmux pane).
missing=()
for pair in tmux:tmux docker-registry:docker-registry skopeo:skopeo htpasswd:apache2-utils /usr/bin/time:time; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get"
  SUDO=
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "setup: ready ($VENV, $ORACLES/botocore -> botocore-$BOTOCORE_VERSION, $(tmux -V), $(docker-registry --version | awk '{print "docker-registry", $NF}'), $(skopeo --version))"
