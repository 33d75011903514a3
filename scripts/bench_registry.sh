#!/usr/bin/env bash
# The registry protocol against its peers, paired in one run (called by
# `bash scripts/bench.sh registry [ROUNDS]`): a generated 1 GiB OCI layout
# (three layers of 256, 384 and 384 MiB, uncompressed random bytes) pushed to
# and pulled from the CNCF registry (Debian docker-registry 2.8.2,
# filesystem storage, htpasswd auth) by ours and by `skopeo copy`, beside the
# machine's limit: the same blobs sent (monolithic PUT) and fetched (GET to
# /dev/null) with curl. And our ECR-API push of the same layout to the
# loopback sink (bench/src/bin/sink.rs), beside our registry push. The
# registry and the sink run on CPU 1, every client on CPU 0; each push goes
# to a registry with empty storage (and skopeo's blob cache removed, or it
# would mount what it pushed before). Wall and CPU seconds from
# /usr/bin/time (user + sys of the client process), peak RSS too.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
bash scripts/setup.sh >/dev/null
for tool in docker-registry skopeo htpasswd curl taskset /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (scripts/setup.sh installs it)" >&2; exit 1; }
done
cargo build --quiet --release -p ecr-bench --bin registry_bench --bin sink
BIN=$PWD/target/release/registry_bench
work=$(mktemp -d "${TMPDIR:-/tmp}/ecr-bench-registry.XXXXXX")
registry_pid=
sink_pid=
cleanup() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null || true
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

layout=$work/layout
python3 scripts/make_layout.py "$layout" bench 256 384 384 >/dev/null
password=bench-password
htpasswd -nbB AWS "$password" > "$work/htpasswd" 2>/dev/null
creds="AWS:$password"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
host=127.0.0.1:$port
# The layout's blobs (config and layers), for curl: digest and path.
mapfile -t blobs < <(python3 - "$layout" <<'PY'
import json, os, sys
root = sys.argv[1]
index = json.load(open(os.path.join(root, "index.json")))
top = index["manifests"][0]["digest"].split(":")[1]
manifest = json.load(open(os.path.join(root, "blobs/sha256", top)))
for d in [manifest["config"]] + manifest["layers"]:
    print(d["digest"], os.path.join(root, "blobs/sha256", d["digest"].split(":")[1]))
PY
)
total_bytes=0
for b in "${blobs[@]}"; do total_bytes=$((total_bytes + $(stat -c %s "${b#* }"))); done

start_registry() { # fresh storage
  [ -n "$registry_pid" ] && { kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; }
  rm -rf "$work/storage"
  cat > "$work/config.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/storage
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $host
  secret: bench
auth:
  htpasswd:
    realm: basic-realm
    path: $work/htpasswd
YML
  taskset -c 1 docker-registry serve "$work/config.yml" 2>"$work/registry.log" &
  registry_pid=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://$host/v2/" && return 0; sleep 0.1; done
  echo "bench: the registry did not start" >&2; cat "$work/registry.log" >&2; exit 1
}

# measure LABEL CMD...: runs CMD on CPU 0 under /usr/bin/time; prints one line.
measure() {
  local label=$1; shift
  # What the previous step wrote is written back first: the kernel's
  # writeback of one side's files would otherwise be charged to the next.
  sync
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" taskset -c 0 "$@" >"$work/out" 2>&1 ||
    { echo "bench: $label failed:" >&2; cat "$work/out" >&2; exit 1; }
  read -r wall user sys rss < "$work/time"
  printf '%-14s wall_s=%s mb_per_s=%.0f cpu_s=%.2f user_s=%s sys_s=%s peak_rss_mib=%.0f\n' "$label" "$wall" \
    "$(echo "$total_bytes / 1000000 / $wall" | bc -l)" "$(echo "$user + $sys" | bc -l)" "$user" "$sys" "$(echo "$rss / 1024" | bc -l)"
}

# The limit: each blob POSTed then PUT whole with curl, three at once.
curl_push() {
  local one
  one() {
    local digest=$1 path=$2 location
    location=$(curl -s -u "$creds" -X POST -D - -o /dev/null "http://$host/v2/bench/curl/blobs/uploads/" |
      tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
    case $location in http*) ;; *) location="http://$host$location" ;; esac
    curl -s -f -u "$creds" -X PUT -H 'Content-Type: application/octet-stream' \
      -T "$path" "$location&digest=$digest" -o /dev/null
  }
  export -f one; export creds host
  printf '%s\n' "${blobs[@]}" | xargs -P 3 -L 1 bash -c 'one "$0" "$1"'
}
curl_pull() {
  printf '%s\n' "${blobs[@]}" | xargs -P 3 -L 1 bash -c \
    'curl -s -f -u "$creds" -o /dev/null "http://$host/v2/bench/ours/blobs/$0"'
}
export -f curl_push curl_pull
export creds host blobs_file="$work/blobs"
printf '%s\n' "${blobs[@]}" > "$work/blobs"

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1 /proc/loadavg)"
echo "layout: $total_bytes bytes in 4 blobs (config + 256, 384, 384 MiB layers); registry $(docker-registry --version | awk '{print $NF}'), skopeo $(skopeo --version | awk '{print $NF}'), $(curl --version | head -1 | cut -d' ' -f1-2)"

declare -a push_ours push_skopeo push_curl pull_ours pull_skopeo pull_curl api_push
for round in $(seq 1 "$rounds"); do
  echo "== round $round"
  start_registry
  line=$(measure ours-push "$BIN" push "http://$host" AWS "$password" "$layout" bench/ours); echo "$line"; push_ours+=("$line")
  start_registry
  rm -rf ~/.local/share/containers/cache /var/lib/containers/cache 2>/dev/null || true
  line=$(measure skopeo-push skopeo copy --quiet --preserve-digests --dest-tls-verify=false --dest-creds "$creds" \
    "oci:$layout:bench" "docker://$host/bench/skopeo:bench"); echo "$line"; push_skopeo+=("$line")
  start_registry
  line=$(measure curl-push bash -c 'mapfile -t blobs < "$blobs_file"; curl_push'); echo "$line"; push_curl+=("$line")
  # Pulls from a registry holding the image (pushed by us).
  "$BIN" push "http://$host" AWS "$password" "$layout" bench/ours >/dev/null
  rm -rf "$work/pulled"
  line=$(measure ours-pull "$BIN" pull "http://$host" AWS "$password" bench/ours bench "$work/pulled"); echo "$line"; pull_ours+=("$line")
  rm -rf "$work/pulled"
  line=$(measure skopeo-pull skopeo copy --quiet --preserve-digests --src-tls-verify=false --src-creds "$creds" \
    --dest-oci-accept-uncompressed-layers "docker://$host/bench/ours:bench" "oci:$work/pulled:bench"); echo "$line"; pull_skopeo+=("$line")
  rm -rf "$work/pulled"
  line=$(measure curl-pull bash -c 'mapfile -t blobs < "$blobs_file"; curl_pull'); echo "$line"; pull_curl+=("$line")
  # Our ECR-API push of the same layout, to the loopback sink on CPU 1.
  taskset -c 1 target/release/sink 0 10485760 > "$work/sink.out" 2>&1 &
  sink_pid=$!
  for _ in $(seq 1 50); do grep -q listening "$work/sink.out" 2>/dev/null && break; sleep 0.1; done
  sink="http://$(sed -n 's/listening on //p' "$work/sink.out")"
  line=$(measure ours-api-push "$BIN" api-push "$sink" "$layout" bench); echo "$line"; api_push+=("$line")
  kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; sink_pid=
done

median() { # FIELD LINES...: the median of a field
  local f=$1; shift
  for l in "$@"; do field "$f" "$l"; done | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
echo "== medians of $rounds rounds"
for side in push pull; do
  o=("${side}_ours[@]"); s=("${side}_skopeo[@]"); c=("${side}_curl[@]")
  om=$(median mb_per_s "${!o}"); oc=$(median cpu_s "${!o}")
  sm=$(median mb_per_s "${!s}"); sc=$(median cpu_s "${!s}")
  cm=$(median mb_per_s "${!c}"); cc=$(median cpu_s "${!c}")
  printf '%s: ours %s MB/s %s CPU-s | skopeo %s MB/s %s CPU-s | curl %s MB/s %s CPU-s\n' "$side" "$om" "$oc" "$sm" "$sc" "$cm" "$cc"
  printf '  ratio: ours/curl throughput %.2f, ours/skopeo throughput %.2f, ours/skopeo CPU %.2f\n' \
    "$(echo "$om / $cm" | bc -l)" "$(echo "$om / $sm" | bc -l)" "$(echo "$oc / $sc" | bc -l)"
done
am=$(median mb_per_s "${api_push[@]}"); ac=$(median cpu_s "${api_push[@]}")
printf 'api push (to the sink): %s MB/s %s CPU-s; registry push (to the registry): %s MB/s %s CPU-s\n' \
  "$am" "$ac" "$(median mb_per_s "${push_ours[@]}")" "$(median cpu_s "${push_ours[@]}")"
