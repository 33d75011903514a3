#!/usr/bin/env python3
"""Writes ecr-core/src/ecr/*.rs: the Amazon ECR API declared with the DSL.

Reads botocore's ECR model (service-2.json from the pinned botocore sdist that
scripts/setup.sh extracts) and emits one readable file per area, plus
paginators.rs from paginators-1.json beside it. The model's documentation is
not copied; doc comments are short lines of our own (OP_DOCS, MEMBER_DOCS).

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

from ecr_tables import AREA_DOCS, AREAS, MEMBER_DOCS, MEMBER_DOCS_IN, MEMBER_DOCS_OUT, OP_DOCS, REQUEST_JSON_HEAD  # noqa: E402


def feature(area):
    """The crate feature of an area: its module name, kebab-cased as Cargo's are."""
    return area.replace("_", "-")


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


def doc_lines(text, indent, width=96):
    """`text` as `///` lines of at most `width` characters."""
    out, line = [], ""
    for word in text.split():
        if line and len(indent) + 4 + len(line) + 1 + len(word) > width:
            out.append(f"{indent}/// {line}")
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        out.append(f"{indent}/// {line}")
    return out


def rust_str(s):
    if '"' in s or "\\" in s:
        hashes = "#"
        while '"' + hashes in s:
            hashes += "#"
        return "r" + hashes + '"' + s + '"' + hashes
    return '"' + s + '"'


class Gen:
    def __init__(self, model, paginators):
        self.m = model
        self.pag = paginators
        self.shapes = model["shapes"]
        self.ops = model["operations"]
        self.owner = {}  # structure/enum shape -> area
        self.inputs = {}  # input shape -> operation name
        self.users = {}  # shape -> the areas whose operations reach it
        self.area_of = {op: area for area, ops in AREAS.items() for op in ops}

    def assign(self):
        listed = [op for ops in AREAS.values() for op in ops]
        missing = sorted(set(self.ops) - set(listed))
        extra = sorted(set(listed) - set(self.ops))
        if missing or extra:
            sys.exit(f"gen_ecr: operations not assigned to an area: {missing}; unknown: {extra}")
        undocumented = sorted(set(self.ops) - set(OP_DOCS))
        if undocumented:
            sys.exit(f"gen_ecr: operations without an OP_DOCS entry: {undocumented}")
        unknown_pag = sorted(set(self.pag) - set(self.ops))
        if unknown_pag:
            sys.exit(f"gen_ecr: paginators for unknown operations: {unknown_pag}")
        users = self.users
        for area, ops in AREAS.items():
            for op in ops:
                o = self.ops[op]
                if "input" in o:
                    self.inputs[o["input"]["shape"]] = op
                roots = [o[key]["shape"] for key in ("input", "output") if key in o]
                roots += [e["shape"] for e in o.get("errors", [])]
                for root in roots:
                    for s in self.reachable(root):
                        users.setdefault(s, set()).add(area)
        for s, areas in users.items():
            sh = self.shapes[s]
            if sh.get("exception"):
                continue
            self.owner[s] = next(iter(areas)) if len(areas) == 1 else "common"
        for s, sh in self.shapes.items():
            if sh.get("exception"):
                self.owner[s] = "errors"

    def cfg(self, shape):
        """The `#[cfg]` of a shared shape: on when any area that uses it is."""
        areas = sorted(self.users.get(shape, ()))
        if not areas:
            return []
        if len(areas) == 1:
            return [f'#[cfg(feature = "{feature(areas[0])}")]']
        features = ", ".join(f'feature = "{feature(a)}"' for a in areas)
        return [f"#[cfg(any({features}))]"]

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

    def constrained(self, name):
        """Whether a shape is a value with constraints of its own (a
        candidate for a named constraint set)."""
        sh = self.shapes[name]
        return ("enum" not in sh and sh["type"] not in ("structure", "boolean", "timestamp")
                and bool(self.constraints(sh)))

    def named_sets(self):
        """The constrained shapes two or more members (or list items) use:
        each becomes one `#[aws_constraint]` in constraints.rs, its pattern
        compiled once, instead of the same attributes on every member."""
        if hasattr(self, "_named"):
            return self._named
        uses = {}
        for sh in self.shapes.values():
            if sh["type"] != "structure":
                continue
            for member in sh["members"].values():
                names = [member["shape"]]
                t = self.shapes[member["shape"]]
                if t["type"] in ("list", "map"):
                    names.append(t["member" if t["type"] == "list" else "value"]["shape"])
                for n in names:
                    if self.constrained(n):
                        uses[n] = uses.get(n, 0) + 1
        self._named = {n for n, count in uses.items() if count >= 2}
        return self._named

    def constraint_set(self, name):
        sh = self.shapes[name]
        count = "a value" if sh["type"] in ("string", "blob") else sh["type"]
        lines = [f"/// The model's `{name}` shape ({count}), for every member that uses it.",
                 f"#[aws_constraint({', '.join(self.constraints(sh))})]",
                 f"pub struct {name};"]
        return "\n".join(lines)

    def field_lines(self, container, mname, member, required, op_name):
        sh = self.shapes[member["shape"]]
        field = snake(mname)
        lines = [f"    /// {self.member_doc(mname, member['shape'], required, op_name is not None)}"]
        attrs = []
        if sh["type"] == "blob":
            attrs.append("#[base64]")
        cons = self.constraints(sh)
        if member["shape"] in self.named_sets():
            cons = [f"constraints(constraints::{member['shape']})"]
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
            item_name = sh["member" if sh["type"] == "list" else "value"]["shape"]
            item = self.shapes[item_name]
            if "enum" not in item and item["type"] != "structure":
                ic = self.constraints(item)
                if item_name in self.named_sets():
                    ic = [f"constraints(constraints::{item_name})"]
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

    def member_doc(self, mname, shape, required, request):
        text = (MEMBER_DOCS_IN if request else MEMBER_DOCS_OUT).get(mname) or MEMBER_DOCS.get(mname)
        if text is None:
            text = words(mname[0].upper() + mname[1:]).capitalize()
        # "`None` means ..." already says the member is optional.
        optional = not required and "`None`" not in text
        return f"{text}{' (optional)' if optional else ''}."

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
            lines += doc_lines(OP_DOCS[op_name], "")
            lines.append("///")
            lines += doc_lines(f"The `{op_name}` request: send it with `.send(&client)`; the response is [`{out}`].", "")
            if op_name in self.pag:
                item = self.pager_item(op_name)
                # The item enum lives in paginators.rs, out of this file's scope.
                link = f"(crate::ecr::{item})" if len(self.result_keys(op_name)) > 1 else ""
                lines.append("///")
                lines += doc_lines(
                    f"Paginated: [`pages`](Self::pages) streams every page and [`items`](Self::items) "
                    f"every [`{item}`]{link}, following `nextToken`.", "")
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
        # Blob members first: serde writes members in declaration order, and
        # with the blob ahead of the others an UploadLayerPart body can be
        # streamed (the uploader writes the blob's text before it knows the
        # part's length, which `partLastByte` carries). Order is not part of
        # the model; members keep the model's order otherwise.
        members = sorted(sh["members"].items(),
                         key=lambda kv: self.shapes[kv[1]["shape"]]["type"] != "blob")
        for mname, member in members:
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

    # Paginators (paginators-1.json): one `Paginated` impl per operation, plus
    # `pages`/`items` methods on the request. Tokens and limits are top-level
    # members; result keys are at most one level deep.

    def member(self, shape_name, wire):
        """(field, required, shape) of member `wire` of a structure."""
        sh = self.shapes[shape_name]
        if wire not in sh["members"]:
            sys.exit(f"gen_ecr: paginator names {wire!r}, not a member of {shape_name}")
        return snake(wire), wire in sh.get("required", []), sh["members"][wire]["shape"]

    def result_keys(self, op_name):
        keys = self.pag[op_name]["result_key"]
        return keys if isinstance(keys, list) else [keys]

    def key_list(self, op_name, key):
        """(path of (field, required), Rust item type) of a result key."""
        shape = self.ops[op_name]["output"]["shape"]
        parts = key.split(".")
        if len(parts) > 2:
            sys.exit(f"gen_ecr: result key {key!r} of {op_name} is nested too deep")
        path = []
        for part in parts:
            field, required, shape = self.member(shape, part)
            path.append((field, required))
        sh = self.shapes[shape]
        if sh["type"] != "list":
            sys.exit(f"gen_ecr: result key {key!r} of {op_name} is not a list")
        return path, self.rust_type(sh["member"]["shape"])

    def pager_item(self, op_name):
        keys = self.result_keys(op_name)
        if len(keys) == 1:
            return self.key_list(op_name, keys[0])[1]
        return f"{op_name}Item"

    @staticmethod
    def variant(key):
        last = key.split(".")[-1]
        last = last[:-1] if last.endswith("s") else last
        return last[0].upper() + last[1:]

    def paginator(self, op_name):
        cfg = self.pag[op_name]
        op = self.ops[op_name]
        inp, outp = op["input"]["shape"], op["output"]["shape"]
        out_ty = self.type_name(outp)
        for key in ("input_token", "output_token", "limit_key"):
            if not isinstance(cfg[key], str) or "." in cfg[key]:
                sys.exit(f"gen_ecr: {key} of {op_name} is not a top-level member")
        in_tok, req_in, _ = self.member(inp, cfg["input_token"])
        out_tok, req_out, _ = self.member(outp, cfg["output_token"])
        limit, req_limit, limit_shape = self.member(inp, cfg["limit_key"])
        if req_in or req_out or req_limit or self.shapes[limit_shape]["type"] != "integer":
            sys.exit(f"gen_ecr: tokens and limit of {op_name} must be optional, the limit an integer")
        keys = self.result_keys(op_name)
        item = self.pager_item(op_name)
        lines = []
        if len(keys) > 1:
            # Boxed: the kinds of item can differ a lot in size.
            lines.append(f"/// An item of a `{op_name}` page: one of its result lists.")
            lines.append("#[derive(Debug, Clone, PartialEq)]")
            lines.append(f"pub enum {item} {{")
            for key in keys:
                lines.append(f"    /// An item of `{key}`.")
                lines.append(f"    {self.variant(key)}(Box<{self.key_list(op_name, key)[1]}>),")
            lines.append("}")
            lines.append("")
        key_strs = ", ".join(rust_str(k) for k in keys)
        lines += [
            f"impl Paginated for {op_name} {{",
            f"    type Item = {item};",
            f"    const INPUT_TOKEN: &'static str = {rust_str(cfg['input_token'])};",
            f"    const OUTPUT_TOKEN: &'static str = {rust_str(cfg['output_token'])};",
            f"    const LIMIT_KEY: &'static str = {rust_str(cfg['limit_key'])};",
            f"    const RESULT_KEYS: &'static [&'static str] = &[{key_strs}];",
            "",
            "    fn input_token(&self) -> Option<&str> {",
            f"        self.{in_tok}.as_deref()",
            "    }",
            "",
            "    fn set_input_token(&mut self, token: Option<String>) {",
            f"        self.{in_tok} = token;",
            "    }",
            "",
            "    fn set_page_size(&mut self, size: i32) {",
            f"        self.{limit} = Some(size);",
            "    }",
            "",
            f"    fn output_token(output: &{out_ty}) -> Option<&str> {{",
            f"        output.{out_tok}.as_deref()",
            "    }",
            "",
            f"    fn into_items(output: {out_ty}) -> Vec<{item}> {{",
        ]
        if len(keys) == 1:
            path, _ = self.key_list(op_name, keys[0])
            lines.append("        " + self.take_list("output", path))
        else:
            # Several lists, possibly under one optional parent: move each out.
            lines.append("        let mut items = Vec::new();")
            parents = {}
            for key in keys:
                path, _ = self.key_list(op_name, key)
                parents.setdefault(tuple(path[:-1]), []).append((key, path[-1]))
            for parent, members in parents.items():
                base, indent = "output", "        "
                if parent:
                    (pfield, preq), = parent
                    if preq:
                        base = f"output.{pfield}"
                    else:
                        lines.append(f"        if let Some(parent) = output.{pfield} {{")
                        base, indent = "parent", "            "
                for key, (field, req) in members:
                    it = f"{base}.{field}" + ("" if req else ".into_iter().flatten()")
                    wrap = f"|v| {item}::{self.variant(key)}(Box::new(v))"
                    lines.append(f"{indent}items.extend({it}.map({wrap}));")
                if parent and base == "parent":
                    lines.append("        }")
            lines.append("        items")
        lines += [
            "    }",
            "}",
            "",
            f"impl {op_name} {{",
            "    /// Every page of the response, as a stream: one call per page, following",
            f"    /// `{cfg['output_token']}` until the last page. Each page is a `Result`.",
            f"    pub fn pages(self, client: &Client) -> Pages<Self> {{",
            "        Pages::new(client, self)",
            "    }",
            "",
            f"    /// Every [`{item}`] of every page, as a stream of `Result`s.",
            f"    pub fn items(self, client: &Client) -> Items<Self> {{",
            "        Items::new(client, self)",
            "    }",
            "}",
        ]
        return lines

    def take_list(self, base, path):
        """An expression moving the list at `path` out of `base`, empty if absent."""
        expr, optional = base, False
        for field, required in path:
            if optional:
                expr = f"{expr}.and_then(|v| v.{field})" if not required else f"{expr}.map(|v| v.{field})"
            else:
                expr = f"{expr}.{field}"
            optional = optional or not required
        return f"{expr}.unwrap_or_default()" if optional else expr

    def write_paginators(self):
        blocks = []
        for op in sorted(self.pag):
            gate = f'#[cfg(feature = "{feature(self.area_of[op])}")]'
            lines = []
            item_ended = True
            for line in self.paginator(op):
                # Every top-level item of the block (the item enum, the impls)
                # is gated: a gate goes before the first line of each, a
                # line at column 0 after a blank line or a closing brace.
                top_level = bool(line) and not line[0].isspace() and line != "}"
                if top_level and item_ended:
                    lines.append(gate)
                item_ended = not line or line == "}"
                lines.append(line)
            blocks.append("\n".join(lines))
        header = (
            "//! Paginators: the operations that return a page and a `nextToken`, as\n"
            "//! streams of pages and of items (see [`crate::paginate`]).\n"
            "//!\n"
            "//! Generated by `tools/gen_ecr.py` from botocore's `paginators-1.json`; edit the generator, not this file.\n\n"
            "// Every paginator can be off (its area's feature).\n#![allow(unused_imports)]\n\nuse super::*;\nuse crate::Client;\nuse crate::paginate::{Items, Pages, Paginated};\n\n"
        )
        with open(os.path.join(OUT, "paginators.rs"), "w") as f:
            f.write(header + "\n\n".join(blocks) + "\n")

    def write(self):
        files = {}
        order = []
        for area, ops in AREAS.items():
            for op in ops:
                o = self.ops[op]
                roots = [o[key]["shape"] for key in ("input", "output") if key in o]
                roots += [e["shape"] for e in o.get("errors", [])]
                for root in roots:
                    for s in [root] + sorted(self.reachable(root)):
                        # Exceptions follow, in name order, in errors.rs.
                        if s not in order and not self.shapes[s].get("exception"):
                            order.append(s)
        for s in sorted(self.shapes):
            if self.shapes[s].get("exception") and s not in order:
                order.append(s)
        for s in order:
            sh = self.shapes[s]
            area = self.owner[s]
            block = self.enum(s) if "enum" in sh else self.structure(s)
            if area in ("common", "errors"):
                block = self.cfg(s) + block
            files.setdefault(area, []).append("\n".join(block))
        for area, blocks in files.items():
            text = "\n\n".join(blocks)
            uses = ["use ecrkit::{aws_enum, aws_error, aws_operation, aws_shape};"]
            needed = [u for u in ("aws_enum", "aws_error", "aws_operation", "aws_shape") if f"#[{u}" in text]
            uses = [f"use crate::{{{', '.join(needed)}}};"] if needed else []
            if uses and area in ("common", "errors"):
                # Every shape of these files can be off (see `cfg`).
                uses = ["#[allow(unused_imports)]\n" + uses[0]]
            if "Timestamp" in text:
                uses.append("use crate::Timestamp;")
            if "HashMap<" in text:
                uses.append("use std::collections::HashMap;")
            if "constraints::" in text:
                # common.rs and errors.rs: every shape can be off (see `cfg`).
                allow = "#[allow(unused_imports)]\n" if area in ("common", "errors") else ""
                uses.append(f"{allow}use super::constraints;")
            if area != "common" and area != "errors":
                uses.append("#[allow(unused_imports)]\nuse super::common::*;")
            if area != "errors":
                uses.append("#[allow(unused_imports)]\nuse super::errors::*;")
            # Types from other areas that this area names.
            header = f"//! {AREA_DOCS[area]}\n//!\n//! Generated by `tools/gen_ecr.py` from botocore's ECR model; edit the generator, not this file.\n\n"
            with open(os.path.join(OUT, f"{area}.rs"), "w") as f:
                f.write(header + "\n".join(sorted(uses)) + "\n\n" + text + "\n")
        self.write_paginators()
        with open(os.path.join(OUT, "constraints.rs"), "w") as f:
            f.write("//! The constraints several members share, declared once (`#[aws_constraint]`):\n"
                    "//! one per shape of the model that two or more members or list items use,\n"
                    "//! named after it; members name them with `#[constraints(..)]`, and each\n"
                    "//! pattern is compiled once.\n//!\n"
                    "//! Generated by `tools/gen_ecr.py` from botocore's ECR model; edit the generator, not this file.\n\n"
                    "use crate::aws_constraint;\n\n")
            f.write("\n\n".join(self.constraint_set(n) for n in sorted(self.named_sets())) + "\n")
        mods = sorted(list(files) + ["paginators", "constraints"])
        with open(os.path.join(OUT, "mod.rs"), "w") as f:
            f.write("//! The Amazon ECR API (2015-09-21), declared with the macros: one file per\n")
            f.write("//! area, each behind the crate feature of its name (all on by default:\n")
            f.write("//! `full`); shapes several areas share are on when any of them is.\n")
            f.write("//! Generated by `tools/gen_ecr.py` from botocore's model.\n\n")
            gate = lambda mod: f'#[cfg(feature = "{feature(mod)}")]\n' if mod in AREAS else ""
            for mod in mods:
                f.write(f"{gate(mod)}pub mod {mod};\n")
            f.write("\n")
            for mod in mods:
                if mod == "constraints":
                    # Named by path (`constraints::RepositoryName`), not
                    # glob-imported beside the shapes.
                    continue
                allow = "" if mod in AREAS else "#[allow(unused_imports)]\n"
                f.write(f"{gate(mod)}{allow}pub use {mod}::*;\n")
            ops = sorted(self.ops)
            f.write("\n/// The schema of every operation of the enabled areas, in name order.\n")
            f.write("pub const OPERATIONS: &[&crate::Schema] = &[\n")
            for op in ops:
                f.write(f"    {gate(self.area_of[op])}{op}::SCHEMA,\n")
            f.write("];\n")
            f.write(REQUEST_JSON_HEAD)
            for op in ops:
                f.write(f'        {gate(self.area_of[op])}"{op}" => Some(check::<{op}>(json)),\n')
            f.write("        _ => None,\n    }\n}\n")
        return files


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else MODEL
    with open(path) as f:
        model = json.load(f)
    with open(os.path.join(os.path.dirname(path), "paginators-1.json")) as f:
        paginators = json.load(f)["pagination"]
    g = Gen(model, paginators)
    g.assign()
    files = g.write()
    # Keep the output as `cargo fmt` leaves it, so regenerating is a no-op diff.
    paths = [os.path.join(OUT, f"{area}.rs") for area in files] + [
        os.path.join(OUT, "paginators.rs"), os.path.join(OUT, "mod.rs")]
    subprocess.run(["rustfmt", "--edition", "2024", *paths], check=True)
    print(f"gen_ecr: {len(model['operations'])} operations in {len(files)} files, "
          f"{len(paginators)} paginators")


if __name__ == "__main__":
    main()
