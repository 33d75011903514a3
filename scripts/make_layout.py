#!/usr/bin/env python3
"""Writes an OCI image layout with a config and a few random layers.

    make_layout.py DIR TAG SIZE_MIB [SIZE_MIB ...]

Standard library only; used by scripts/demo.sh to have something to push.
"""
import hashlib
import json
import os
import sys


def blob(root, data, media_type):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(root, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}


def main():
    root, tag, sizes = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]]
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    layers = [blob(root, os.urandom(mib << 20), "application/vnd.oci.image.layer.v1.tar")
              for mib in sizes]
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": blob(root, config, "application/vnd.oci.image.config.v1+json"),
        "layers": layers,
    }).encode()
    top = blob(root, manifest, "application/vnd.oci.image.manifest.v1+json")
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [top]}, f)
    print(f"wrote {root}: {len(layers)} layers ({', '.join(f'{s} MiB' for s in sizes)}), tag {tag}")


if __name__ == "__main__":
    main()
