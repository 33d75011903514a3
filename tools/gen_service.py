#!/usr/bin/env python3
"""Writes the whole API of an awsJson service, declared with the DSL, from a
botocore model (service-2.json of any awsJson 1.0 or 1.1 service).

One readable Rust file: the service descriptor (from the model's metadata),
the constraint sets several members share (`#[aws_constraint]`), every
structure, enum and exception, and every operation (`#[aws_operation]`
without a `target`: the service's prefix and the operation's name), with
the model's constraints, timestamp formats, documents, endpoint traits and
request compression. A crate that depends on `ecrkit` alone (without its
default features) compiles it, with `include!` or as a module of its own:

    python3 tools/gen_service.py MODEL.json OUT.rs [--service-type DynamoDb] [--crate ecrkit]

Doc comments are short lines of our own (the model's documentation is not
copied). Blobs are `Vec<u8>`, so the crate needs no `bytes` dependency.
`tests/dynamodb` generates DynamoDB's API this way at build time, and the
test command compares it with the model (tests/model_conformance.rs) and
runs it against moto. ECR's own API is written by gen_ecr.py, which adds
areas, features and paginators on the same rules.

Python 3.11, standard library only.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_ecr import lower_camel, rust_str, snake, variant_name, words  # noqa: E402

# Names a generated type must not take: they would shadow what the file uses.
RESERVED = {"String", "Vec", "Option", "Box", "Result", "HashMap", "Timestamp", "Document",
            "Self", "Default", "Error"}
TIMESTAMP_FORMATS = {"iso8601": "date-time", "rfc822": "http-date", "unixTimestamp": "epoch-seconds"}


class Service:
    def __init__(self, model, service_type, krate):
        self.m = model
        self.meta = model["metadata"]
        self.shapes = model["shapes"]
        self.ops = model["operations"]
        self.service_type = service_type
        self.krate = krate
        if self.meta.get("protocol") != "json":
            sys.exit(f"gen_service: {self.meta.get('serviceId')} speaks {self.meta.get('protocol')}, not awsJson")
        # Input shapes, by the operations that take them (two operations may
        # share one: each gets a request struct of its own name).
        self.inputs = {}
        for name, o in self.ops.items():
            if "input" in o:
                self.inputs.setdefault(o["input"]["shape"], []).append(name)
        # Input shapes another structure holds are shapes too.
        self.held = {m["shape"] for sh in self.shapes.values() if sh["type"] == "structure"
                     for m in sh["members"].values()}
        self.names = {}
        taken = set(self.ops)
        for name in sorted(self.shapes):
            sh = self.shapes[name]
            if not (sh["type"] == "structure" or "enum" in sh):
                continue
            if name in self.inputs and name not in self.held:
                continue
            rust = re.sub(r"[^A-Za-z0-9_]", "", name)
            rust = rust[:1].upper() + rust[1:]
            while rust in RESERVED or rust in taken or rust.removesuffix("Error") in self.ops:
                rust += "Shape"
            taken.add(rust)
            self.names[name] = rust

    # ----- types -----------------------------------------------------------

    def type_name(self, name):
        return self.names[name]

    def rust_type(self, name):
        sh = self.shapes[name]
        if sh.get("document"):
            return "ecrkit::Document"
        if "enum" in sh:
            return self.type_name(name)
        t = sh["type"]
        if t == "list":
            return f"Vec<{self.rust_type(sh['member']['shape'])}>"
        if t == "map":
            return f"std::collections::HashMap<String, {self.rust_type(sh['value']['shape'])}>"
        if t == "structure":
            return self.type_name(name)
        try:
            return {"string": "String", "blob": "Vec<u8>", "boolean": "bool", "integer": "i32",
                    "long": "i64", "float": "f32", "double": "f64", "byte": "i8", "short": "i16",
                    "timestamp": "ecrkit::Timestamp"}[t]
        except KeyError:
            sys.exit(f"gen_service: shape {name} of type {t} has no DSL form")

    def direct_structs(self, name):
        return [m["shape"] for m in self.shapes[name].get("members", {}).values()
                if self.shapes[m["shape"]]["type"] == "structure"]

    def reaches(self, start, goal):
        todo, seen = [start], set()
        while todo:
            cur = todo.pop()
            if cur == goal:
                return True
            if cur not in seen:
                seen.add(cur)
                todo.extend(self.direct_structs(cur))
        return False

    # ----- constraints -----------------------------------------------------

    @staticmethod
    def bounds(name, sh, integer):
        lo, hi = sh.get("min"), sh.get("max")
        if lo is None and hi is None:
            return None
        fmt = (lambda v: str(int(v))) if integer else (lambda v: repr(float(v)))
        if lo is not None and hi is not None:
            return f"{name}({fmt(lo)}, {fmt(hi)})"
        if lo is not None:
            return f"{name}(min = {fmt(lo)})"
        return f"{name}(max = {fmt(hi)})"

    def constraints(self, sh):
        out = []
        t = sh["type"]
        if t in ("string", "blob", "list", "map"):
            b = self.bounds("length", sh, True)
            if b:
                out.append(b)
        elif t in ("integer", "long", "double", "float", "byte", "short"):
            b = self.bounds("range", sh, t not in ("double", "float"))
            if b:
                out.append(b)
        if "pattern" in sh:
            out.append(f"pattern({rust_str(sh['pattern'])})")
        return out

    def constrained(self, name):
        sh = self.shapes[name]
        return ("enum" not in sh and sh["type"] not in ("structure", "boolean", "timestamp")
                and bool(self.constraints(sh)))

    def named_sets(self):
        """Constrained shapes two or more members or items use: one set each."""
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
        used_names = set(self.names.values()) | set(self.ops) | {self.service_type}
        self._named = {}
        for n, count in sorted(uses.items()):
            if count >= 2:
                rust = re.sub(r"[^A-Za-z0-9_]", "", n)
                while rust in used_names or rust in RESERVED:
                    rust += "Constraint"
                used_names.add(rust)
                self._named[n] = rust
        return self._named

    def value_rules(self, shape):
        if shape in self.named_sets():
            return [f"constraints({self.named_sets()[shape]})"]
        return self.constraints(self.shapes[shape])

    # ----- items -----------------------------------------------------------

    def field_lines(self, struct, mname, member, required, is_input):
        sh = self.shapes[member["shape"]]
        field = snake(mname)
        what = words(mname[:1].upper() + mname[1:])
        lines = [f"    /// {what.capitalize()}{'' if required else ' (optional)'}."]
        attrs = []
        blobs = sh["type"] == "blob" or (
            sh["type"] in ("list", "map")
            and self.shapes[sh["member" if sh["type"] == "list" else "value"]["shape"]]["type"] == "blob")
        if blobs:
            attrs.append("#[base64]")
        attrs += [f"#[{c}]" for c in self.value_rules(member["shape"])]
        if sh["type"] in ("list", "map"):
            item = sh["member" if sh["type"] == "list" else "value"]["shape"]
            if "enum" not in self.shapes[item] and self.shapes[item]["type"] != "structure":
                rules = self.value_rules(item)
                if rules:
                    attrs.append(f"#[each({', '.join(rules)})]")
        fmt = member.get("timestampFormat") or sh.get("timestampFormat")
        if sh["type"] == "timestamp" and fmt:
            attrs.append(f"#[timestamp_format({rust_str(TIMESTAMP_FORMATS[fmt])})]")
        if member.get("hostLabel") and is_input:
            attrs.append("#[host_label]")
        if lower_camel(field) != mname:
            attrs.append(f"#[rename = {rust_str(mname)}]")
        lines += [f"    {a}" for a in attrs]
        ty = self.rust_type(member["shape"])
        if sh["type"] == "structure" and self.reaches(member["shape"], struct):
            ty = f"Box<{ty}>"
        if not required:
            ty = f"Option<{ty}>"
        lines.append(f"    pub {field}: {ty},")
        return lines

    def defaultable(self, name, seen=()):
        sh = self.shapes[name]
        if "enum" in sh:
            return False
        if sh["type"] != "structure" or name in seen:
            return True
        req = set(sh.get("required", []))
        return all(self.defaultable(m["shape"], seen + (name,))
                   for k, m in sh["members"].items() if k in req)

    def derives(self, name):
        extra = ", Default" if self.defaultable(name) else ""
        return f"#[derive(Debug, Clone, PartialEq{extra})]"

    def structure(self, name, op_name=None):
        """A shape, or with `op_name` the request of that operation."""
        sh = self.shapes[name]
        rust = op_name or self.type_name(name)
        required = set(sh.get("required", []))
        lines = []
        if op_name:
            op = self.ops[op_name]
            out = self.type_name(op["output"]["shape"]) if "output" in op else "Empty"
            errs = ", ".join(self.type_name(e["shape"]) for e in op.get("errors", []))
            lines.append(f"/// The `{op_name}` request: send it with `.send(&client)`; the response is [`{out}`].")
            lines.append("#[aws_operation(")
            lines.append(f"    service = {self.service_type},")
            lines.append(f"    output = {out},")
            lines.append(f"    errors({errs}),")
            if "hostPrefix" in op.get("endpoint", {}):
                lines.append(f"    host_prefix = {rust_str(op['endpoint']['hostPrefix'])},")
            if "gzip" in op.get("requestcompression", {}).get("encodings", []):
                lines.append('    request_compression = "gzip",')
            lines.append(f"    crate = {rust_str(self.krate)},")
            lines.append(")]")
        elif sh.get("exception"):
            code = sh.get("error", {}).get("code")
            lines.append(f"/// `{name}`: {words(name.removesuffix('Exception'))}.")
            args = f"code = {rust_str(code)}, " if code and code != rust else ""
            lines.append(f"#[aws_error({args}crate = {rust_str(self.krate)})]")
        else:
            lines.append(f"/// {words(name).capitalize()}.")
            lines.append(f"#[aws_shape(crate = {rust_str(self.krate)})]")
        lines.append(self.derives(name))
        if not sh["members"]:
            lines.append(f"pub struct {rust} {{}}" if not op_name else f"pub struct {rust};")
            return lines
        lines.append(f"pub struct {rust} {{")
        # Blobs first, as gen_ecr.py orders them (a body can then be
        # streamed); the model's order otherwise.
        members = sorted(sh["members"].items(),
                         key=lambda kv: self.shapes[kv[1]["shape"]]["type"] != "blob")
        for mname, member in members:
            lines += self.field_lines(name, mname, member, mname in required, op_name is not None)
        lines.append("}")
        return lines

    def unit_request(self, op_name):
        """The request of an operation the model gives no input: `{}`."""
        op = self.ops[op_name]
        out = self.type_name(op["output"]["shape"]) if "output" in op else "Empty"
        errs = ", ".join(self.type_name(e["shape"]) for e in op.get("errors", []))
        return [f"/// The `{op_name}` request (no members): send it with `.send(&client)`.",
                f"#[aws_operation(service = {self.service_type}, output = {out}, errors({errs}), "
                f"crate = {rust_str(self.krate)})]",
                "#[derive(Debug, Clone, PartialEq, Default)]",
                f"pub struct {op_name};"]

    def enum(self, name):
        sh = self.shapes[name]
        rust = self.type_name(name)
        lines = [f"/// {words(name).capitalize()}.", f"#[aws_enum(crate = {rust_str(self.krate)})]",
                 "#[derive(Debug, Clone, PartialEq, Eq, Hash)]", f"pub enum {rust} {{"]
        taken = {"Unknown"}
        for value in sh["enum"]:
            v = variant_name(value)
            while v in taken:
                v += "Value"
            taken.add(v)
            lines.append(f"    /// `{value}`.")
            if v != value:
                lines.append(f"    #[rename = {rust_str(value)}]")
            lines.append(f"    {v},")
        lines.append("    /// A value this client does not know.")
        lines.append("    Unknown(String),")
        lines.append("}")
        return lines

    def write(self):
        meta = self.meta
        env = re.sub(r"[^A-Z0-9]+", "_", meta.get("serviceId", meta["endpointPrefix"]).upper()).strip("_")
        out = [
            f"// @generated by tools/gen_service.py from botocore's {meta.get('serviceId')} model ({meta.get('apiVersion')}).",
            "",
            f"use {self.krate}::{{aws_constraint, aws_enum, aws_error, aws_operation, aws_shape}};",
            "",
            f"/// {meta.get('serviceFullName', meta.get('serviceId'))}: awsJson {meta['jsonVersion']}, target prefix `{meta['targetPrefix']}`.",
            "#[derive(Debug, Clone, Copy)]",
            f"pub struct {self.service_type};",
            "",
            f"impl {self.krate}::Service for {self.service_type} {{",
            f"    const INFO: {self.krate}::ServiceInfo = {self.krate}::ServiceInfo {{",
            f"        signing_name: {rust_str(meta.get('signingName') or meta['endpointPrefix'])},",
            f"        endpoint_prefix: {rust_str(meta['endpointPrefix'])},",
            f"        json_version: {rust_str(meta['jsonVersion'])},",
            f"        target_prefix: {rust_str(meta['targetPrefix'])},",
            f"        env_name: {rust_str(env)},",
            f"        query_compatible: {'true' if 'awsQueryCompatible' in meta else 'false'},",
            "    };",
            "}",
            "",
            "/// The response of an operation the model gives no output.",
            f"#[aws_shape(crate = {rust_str(self.krate)})]",
            "#[derive(Debug, Clone, PartialEq, Default)]",
            "pub struct Empty {}",
            "",
        ]
        for name, rust in sorted(self.named_sets().items(), key=lambda kv: kv[1]):
            sh = self.shapes[name]
            out.append(f"/// The model's `{name}` shape, for every member that uses it.")
            out.append(f"#[aws_constraint({', '.join(self.constraints(sh))}, crate = {rust_str(self.krate)})]")
            out.append(f"pub struct {rust};")
            out.append("")
        for op in sorted(self.ops):
            if "input" in self.ops[op]:
                out += self.structure(self.ops[op]["input"]["shape"], op) + [""]
            else:
                out += self.unit_request(op) + [""]
        for name in sorted(self.names):
            sh = self.shapes[name]
            if "enum" in sh:
                out += self.enum(name) + [""]
            else:
                out += self.structure(name) + [""]
        out.append("/// The schema of every operation, in name order.")
        out.append(f"pub const OPERATIONS: &[&{self.krate}::Schema] = &[")
        for op in sorted(self.ops):
            out.append(f"    {op}::SCHEMA,")
        out.append("];")
        return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", help="botocore's service-2.json of an awsJson service")
    ap.add_argument("out", help="the Rust file to write")
    ap.add_argument("--service-type", default=None, help="the service descriptor's type name (default: from the serviceId)")
    ap.add_argument("--crate", default="ecrkit", help="the runtime's path, as `crate = ..` takes it")
    args = ap.parse_args()
    with open(args.model) as f:
        model = json.load(f)
    service_type = args.service_type or re.sub(r"[^A-Za-z0-9]", "", model["metadata"].get("serviceId", "Service"))
    source = Service(model, service_type, args.crate).write()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(source)
    os.replace(tmp, args.out)
    print(f"gen_service: {len(model['operations'])} operations of {model['metadata'].get('serviceId')} "
          f"written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
