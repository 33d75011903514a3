#!/usr/bin/env python3
"""Writes ecr-core/src/ecr/*.rs: the Amazon ECR API declared with the DSL.

Reads botocore's ECR model (service-2.json from the pinned botocore sdist that
scripts/setup.sh extracts) and emits one readable file per area. The model's
documentation is not copied; doc comments are short lines of our own.

    python3 tools/gen_ecr.py [path/to/service-2.json]
"""
import json
import keyword
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "target/oracles/botocore/botocore/data/ecr/2015-09-21/service-2.json")
OUT = os.path.join(ROOT, "ecr-core/src/ecr")

# Operation -> area file. Every operation of the model must be listed.
AREAS = {
    "layers": ["BatchCheckLayerAvailability", "InitiateLayerUpload", "UploadLayerPart",
               "CompleteLayerUpload", "GetDownloadUrlForLayer"],
    "images": ["PutImage", "BatchGetImage", "BatchDeleteImage", "DescribeImages", "ListImages",
               "ListImageReferrers", "PutImageTagMutability", "UpdateImageStorageClass",
               "DescribeImageSigningStatus"],
    "repositories": ["CreateRepository", "DeleteRepository", "DescribeRepositories",
                     "DescribeRegistry", "GetAuthorizationToken"],
    "policies": ["SetRepositoryPolicy", "GetRepositoryPolicy", "DeleteRepositoryPolicy",
                 "PutRegistryPolicy", "GetRegistryPolicy", "DeleteRegistryPolicy"],
    "lifecycle": ["PutLifecyclePolicy", "GetLifecyclePolicy", "DeleteLifecyclePolicy",
                  "StartLifecyclePolicyPreview", "GetLifecyclePolicyPreview"],
    "scanning": ["StartImageScan", "DescribeImageScanFindings", "PutImageScanningConfiguration",
                 "PutRegistryScanningConfiguration", "GetRegistryScanningConfiguration",
                 "BatchGetRepositoryScanningConfiguration"],
    "replication": ["PutReplicationConfiguration", "DescribeImageReplicationStatus",
                    "StartReplicationBackfill", "StopReplicationBackfill",
                    "DescribeReplicationBackfillResults", "ListReplicationBackfills"],
    "pull_through_cache": ["CreatePullThroughCacheRule", "DeletePullThroughCacheRule",
                           "DescribePullThroughCacheRules", "UpdatePullThroughCacheRule",
                           "ValidatePullThroughCacheRule", "RegisterPullTimeUpdateExclusion",
                           "DeregisterPullTimeUpdateExclusion", "ListPullTimeUpdateExclusions"],
    "templates": ["CreateRepositoryCreationTemplate", "DeleteRepositoryCreationTemplate",
                  "DescribeRepositoryCreationTemplates", "UpdateRepositoryCreationTemplate"],
    "signing": ["PutSigningConfiguration", "GetSigningConfiguration", "DeleteSigningConfiguration"],
    "account_settings": ["GetAccountSetting", "PutAccountSetting"],
    "tags": ["TagResource", "UntagResource", "ListTagsForResource"],
}

AREA_DOCS = {
    "layers": "Layer uploads and downloads: the calls a push is made of.",
    "images": "Image manifests: put, get, delete, describe and list.",
    "repositories": "Repositories, the registry, and registry login tokens.",
    "policies": "Repository and registry permission policies.",
    "lifecycle": "Lifecycle policies and their previews.",
    "scanning": "Image scanning: scans, findings and scanning configuration.",
    "replication": "Cross-region and cross-account replication.",
    "pull_through_cache": "Pull-through cache rules and their exclusions.",
    "templates": "Repository creation templates.",
    "signing": "Image signing configuration.",
    "account_settings": "Account-level settings.",
    "tags": "Resource tags.",
    "common": "Shapes used by more than one area.",
    "errors": "The modeled exceptions of Amazon ECR.",
}


def snake(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = s.lower()
    if keyword.iskeyword(s) or s in ("type", "match", "ref", "move", "use", "mod", "fn", "impl", "self", "crate"):
        s = "r#" + s
    return s


def lower_camel(field):
    f = field[2:] if field.startswith("r#") else field
    parts = f.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def variant_name(value):
    parts = re.split(r"[^A-Za-z0-9]+", value)
    name = "".join(p[:1].upper() + (p[1:].lower() if p.isupper() or p.islower() else p[1:]) for p in parts if p)
    if not name or name[0].isdigit():
        name = "V" + name
    return name


def words(name):
    """`ImageScanFindings` -> `image scan findings`."""
    return re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).lower()


def rust_str(s):
    if '"' in s or "\\" in s:
        hashes = "#"
        while '"' + hashes in s:
            hashes += "#"
        return "r" + hashes + '"' + s + '"' + hashes
    return '"' + s + '"'


class Gen:
    def __init__(self, model):
        self.m = model
        self.shapes = model["shapes"]
        self.ops = model["operations"]
        self.owner = {}  # structure/enum shape -> area
        self.inputs = {}  # input shape -> operation name

    def assign(self):
        listed = [op for ops in AREAS.values() for op in ops]
        missing = sorted(set(self.ops) - set(listed))
        extra = sorted(set(listed) - set(self.ops))
        if missing or extra:
            sys.exit(f"gen_ecr: operations not assigned to an area: {missing}; unknown: {extra}")
        users = {}
        for area, ops in AREAS.items():
            for op in ops:
                o = self.ops[op]
                if "input" in o:
                    self.inputs[o["input"]["shape"]] = op
                for key in ("input", "output"):
                    if key in o:
                        for s in self.reachable(o[key]["shape"]):
                            users.setdefault(s, set()).add(area)
        for s, areas in users.items():
            sh = self.shapes[s]
            if sh.get("exception"):
                continue
            self.owner[s] = next(iter(areas)) if len(areas) == 1 else "common"
        for s, sh in self.shapes.items():
            if sh.get("exception"):
                self.owner[s] = "errors"

    def reachable(self, name, seen=None):
        seen = set() if seen is None else seen
        if name in seen:
            return seen
        sh = self.shapes[name]
        if sh["type"] == "structure" or "enum" in sh:
            seen.add(name)
        if sh["type"] == "structure":
            for m in sh["members"].values():
                self.reachable(m["shape"], seen)
        elif sh["type"] == "list":
            self.reachable(sh["member"]["shape"], seen)
        elif sh["type"] == "map":
            self.reachable(sh["value"]["shape"], seen)
        return seen

    def type_name(self, shape_name):
        """The Rust name of a structure or enum; the request is the operation name."""
        return self.inputs.get(shape_name, shape_name)

    def rust_type(self, shape_name):
        sh = self.shapes[shape_name]
        t = sh["type"]
        if "enum" in sh:
            return self.type_name(shape_name)
        return {
            "string": "String",
            "blob": "bytes::Bytes",
            "boolean": "bool",
            "integer": "i32",
            "long": "i64",
            "float": "f32",
            "double": "f64",
            "timestamp": "Timestamp",
        }.get(t) or {
            "list": lambda: f"Vec<{self.rust_type(sh['member']['shape'])}>",
            "map": lambda: f"HashMap<String, {self.rust_type(sh['value']['shape'])}>",
            "structure": lambda: self.type_name(shape_name),
        }[t]()

    @staticmethod
    def bounds(name, sh, integer):
        lo, hi = sh.get("min"), sh.get("max")
        if lo is None and hi is None:
            return None
        if not integer and sh["type"] in ("double", "float"):
            fmt = lambda v: repr(float(v))
        else:
            fmt = lambda v: str(int(v))
        if lo is not None and hi is not None:
            return f"{name}({fmt(lo)}, {fmt(hi)})"
        if lo is not None:
            return f"{name}(min = {fmt(lo)})"
        return f"{name}(max = {fmt(hi)})"

    def constraints(self, sh):
        """The field attributes of a value's own constraints."""
        out = []
        t = sh["type"]
        if t in ("string", "blob", "list", "map"):
            b = self.bounds("length", sh, True)
            if b:
                out.append(b)
        elif t in ("integer", "long", "double", "float"):
            b = self.bounds("range", sh, t in ("integer", "long"))
            if b:
                out.append(b)
        if "pattern" in sh:
            out.append(f"pattern({rust_str(sh['pattern'])})")
        return out

    def field_lines(self, container, mname, member, required, op_name):
        sh = self.shapes[member["shape"]]
        field = snake(mname)
        lines = [f"    /// {self.member_doc(mname, member['shape'], required)}"]
        attrs = []
        if sh["type"] == "blob":
            attrs.append("#[base64]")
        cons = self.constraints(sh)
        # The design card's seed: byte positions keep the Dart generator's
        # stand-in for "no maximum" (2^60); the one documented difference.
        if op_name == "UploadLayerPart" and mname in ("partFirstByte", "partLastByte"):
            cons = ["range(0, 1152921504606846976)"]
        # The seed writes the blob bound as `max` alone; a minimum length of 0
        # is no constraint, and the conformance test treats them as equal.
        if op_name == "UploadLayerPart" and mname == "layerPartBlob":
            cons = ["length(max = 20971520)"]
        for c in cons:
            attrs.append(f"#[{c}]")
        if sh["type"] in ("list", "map"):
            item = self.shapes[sh["member" if sh["type"] == "list" else "value"]["shape"]]
            if "enum" not in item and item["type"] != "structure":
                ic = self.constraints(item)
                if ic:
                    attrs.append(f"#[each({', '.join(ic)})]")
        if lower_camel(field) != mname:
            attrs.append(f"#[rename = {rust_str(mname)}]")
        lines += [f"    {a}" for a in attrs]
        ty = self.rust_type(member["shape"])
        if not required:
            ty = f"Option<{ty}>"
        lines.append(f"    pub {field}: {ty},")
        return lines

    def member_doc(self, mname, shape, required):
        text = words(mname[0].upper() + mname[1:]).capitalize()
        return f"{text}{'' if required else ' (optional)'}."

    def defaultable(self, name, seen=()):
        """Whether every required member has a `Default` (enums have none)."""
        sh = self.shapes[name]
        if "enum" in sh:
            return False
        if sh["type"] != "structure":
            return True
        if name in seen:
            return True
        req = set(sh.get("required", []))
        return all(self.defaultable(m["shape"], seen + (name,)) for k, m in sh["members"].items() if k in req)

    def derives(self, name):
        extra = ", Default" if self.defaultable(name) else ""
        return f"#[derive(Debug, Clone, PartialEq{extra})]"

    def structure(self, name):
        sh = self.shapes[name]
        rust = self.type_name(name)
        op_name = self.inputs.get(name)
        required = set(sh.get("required", []))
        lines = []
        if op_name:
            op = self.ops[op_name]
            errs = [e["shape"] for e in op.get("errors", [])]
            out = self.type_name(op["output"]["shape"]) if "output" in op else "()"
            lines.append(f"/// The `{op_name}` request: {OP_DOCS.get(op_name, words(op_name) + '.')}")
            lines.append("#[aws_operation(")
            lines.append(f'    target = "{self.m["metadata"]["targetPrefix"]}.{op_name}",')
            lines.append(f"    output = {out},")
            err_line = ", ".join(errs)
            lines.append(f"    errors({err_line}),")
            lines.append(")]")
            lines.append(self.derives(name))
        elif sh.get("exception"):
            lines.append(f"/// `{name}`: {words(name.removesuffix('Exception'))}.")
            lines.append("#[aws_error]")
            lines.append(self.derives(name))
        else:
            what = "The response of" if name.endswith("Response") else "A"
            if name.endswith("Response"):
                lines.append(f"/// The response of `{name.removesuffix('Response')}`.")
            else:
                lines.append(f"/// {words(name).capitalize()}.")
            lines.append("#[aws_shape]")
            lines.append(self.derives(name))
        if not sh["members"]:
            lines.append(f"pub struct {rust};")
            return lines
        lines.append(f"pub struct {rust} {{")
        for mname, member in sh["members"].items():
            lines += self.field_lines(name, mname, member, mname in required, op_name)
        lines.append("}")
        return lines

    def enum(self, name):
        sh = self.shapes[name]
        lines = [f"/// {words(name).capitalize()}.", "#[aws_enum]",
                 "#[derive(Debug, Clone, PartialEq, Eq, Hash)]", f"pub enum {name} {{"]
        for value in sh["enum"]:
            v = variant_name(value)
            lines.append(f"    /// `{value}`.")
            if v != value:
                lines.append(f"    #[rename = {rust_str(value)}]")
            lines.append(f"    {v},")
        lines.append("    /// A value this client does not know.")
        lines.append("    Unknown(String),")
        lines.append("}")
        return lines

    def write(self):
        files = {}
        order = []
        for area, ops in AREAS.items():
            for op in ops:
                o = self.ops[op]
                for key in ("input", "output"):
                    if key in o:
                        for s in [o[key]["shape"]] + sorted(self.reachable(o[key]["shape"])):
                            if s not in order:
                                order.append(s)
        for s in sorted(self.shapes):
            if self.shapes[s].get("exception") and s not in order:
                order.append(s)
        for s in order:
            sh = self.shapes[s]
            area = self.owner[s]
            block = self.enum(s) if "enum" in sh else self.structure(s)
            files.setdefault(area, []).append("\n".join(block))
        for area, blocks in files.items():
            text = "\n\n".join(blocks)
            uses = ["use ecr_core::{aws_enum, aws_error, aws_operation, aws_shape};"]
            needed = [u for u in ("aws_enum", "aws_error", "aws_operation", "aws_shape") if f"#[{u}" in text]
            uses = [f"use crate::{{{', '.join(needed)}}};"] if needed else []
            if "Timestamp" in text:
                uses.append("use crate::Timestamp;")
            if "HashMap<" in text:
                uses.append("use std::collections::HashMap;")
            if area != "common" and area != "errors":
                uses.append("#[allow(unused_imports)]\nuse super::common::*;")
            if area != "errors":
                uses.append("#[allow(unused_imports)]\nuse super::errors::*;")
            # Types from other areas that this area names.
            header = f"//! {AREA_DOCS[area]}\n//!\n//! Generated by `tools/gen_ecr.py` from botocore's ECR model; edit the generator, not this file.\n\n"
            with open(os.path.join(OUT, f"{area}.rs"), "w") as f:
                f.write(header + "\n".join(sorted(uses)) + "\n\n" + text + "\n")
        mods = sorted(files)
        with open(os.path.join(OUT, "mod.rs"), "w") as f:
            f.write("//! The Amazon ECR API (2015-09-21), declared with the macros: one file per\n")
            f.write("//! area. Generated by `tools/gen_ecr.py` from botocore's model.\n\n")
            for mod in mods:
                f.write(f"pub mod {mod};\n")
            f.write("\n")
            for mod in mods:
                f.write(f"pub use {mod}::*;\n")
            ops = sorted(self.ops)
            f.write("\n/// The schema of every operation, in name order.\n")
            f.write("pub const OPERATIONS: &[&crate::Schema] = &[\n")
            for op in ops:
                f.write(f"    {op}::SCHEMA,\n")
            f.write("];\n")
            f.write(REQUEST_JSON_HEAD)
            for op in ops:
                f.write(f'        "{op}" => check::<{op}>(json),\n')
            f.write("        _ => return None,\n    })\n}\n")
        return files


OP_DOCS = {}

REQUEST_JSON_HEAD = """
/// Reads the request of `operation` from the JSON an AWS CLI user would
/// write (`--cli-input-json`; blobs in base64) and validates it. `None` for an
/// unknown operation name.
pub fn validate_request_json(
    operation: &str,
    json: &[u8],
) -> Option<Result<Result<(), crate::ValidationError>, serde_json::Error>> {
    fn check<O: crate::Operation + serde::de::DeserializeOwned>(
        json: &[u8],
    ) -> Result<Result<(), crate::ValidationError>, serde_json::Error> {
        let request: O = serde_json::from_slice(json)?;
        Ok(crate::validate::Validator::check(O::NAME, &request))
    }
    Some(match operation {
"""


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else MODEL
    with open(path) as f:
        model = json.load(f)
    g = Gen(model)
    g.assign()
    files = g.write()
    # Keep the output as `cargo fmt` leaves it, so regenerating is a no-op diff.
    paths = [os.path.join(OUT, f"{area}.rs") for area in files] + [os.path.join(OUT, "mod.rs")]
    subprocess.run(["rustfmt", "--edition", "2024", *paths], check=True)
    print(f"gen_ecr: {len(model['operations'])} operations in {len(files)} files")


if __name__ == "__main__":
    main()
