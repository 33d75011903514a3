#!/usr/bin/env python3
"""Writes the awsJson protocol-conformance cases as Rust, declared with our DSL.

Reads botocore's awsJson suites (tests/unit/protocols/{input,output}/ of the
pinned botocore sdist that scripts/setup.sh extracts: json.json for
awsJson1.1, json_1_0.json for awsJson1.0, json_1_0-query-compatible.json for
an awsQuery-compatible awsJson1.0 service) and writes one Rust file that
tests/protocol.rs includes. Nothing derived from
the suites is committed: tests/protocol/build.rs runs this at build time and
writes into Cargo's OUT_DIR.

For every suite entry there is one module with the entry's service (a
`ServiceInfo` from the entry's metadata), its shapes declared with
`#[aws_shape]`, `#[aws_enum]` and `#[aws_error]`, and the operation declared
with `#[aws_operation(target = "<Prefix>.<Op>", ...)]` (its fields are the
input shape's members; timestamp formats, documents, the endpoint trait and
request compression as the DSL writes them). For every case there is one function:
an input case builds the request as a Rust value, an output case holds the
expected result (or modeled error) as a Rust value and checks a response
against it through the runtime's parsing.

A case the generator cannot express in the DSL (a document member, say) gets
no function but a reason; the runner fails such a case unless tests/protocol.rs
lists it as not applicable.

    python3 tools/protocol_gen.py [--botocore DIR] [--out FILE]

Python 3.11, standard library only.
"""
import argparse
import json
import keyword
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BOTOCORE = os.path.join(ROOT, "target/oracles/botocore")
DEFAULT_OUT = os.path.join(ROOT, "target/oracles/generated/protocol_json.rs")
# (name, file): each has an input and an output suite.
SUITES = [
    ("awsJson1.1", "json.json"),
    ("awsJson1.0", "json_1_0.json"),
    ("awsJson1.0 query-compatible", "json_1_0-query-compatible.json"),
]
TIMESTAMP_FORMATS = {"iso8601": "date-time", "rfc822": "http-date", "unixTimestamp": "epoch-seconds"}

# Names a generated type must not take: they would shadow what generated code uses.
RESERVED_TYPES = {
    "String", "Vec", "Option", "Some", "None", "Box", "Result", "Ok", "Err", "HashMap",
    "Bytes", "Timestamp", "Self", "NoOutput", "ProtocolService", "Default", "Document",
}
RUST_KEYWORDS = {
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final",
    "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
}
SPECIAL_FLOATS = {"NaN": "NAN", "Infinity": "INFINITY", "-Infinity": "NEG_INFINITY"}


class Unsupported(Exception):
    """The DSL cannot express this; the message says which feature is missing."""


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"[^0-9a-zA-Z_]", "_", s).lower().strip("_") or "field"
    if s[0].isdigit():
        s = "f_" + s
    if s in RUST_KEYWORDS or keyword.iskeyword(s):
        s += "_"
    return s


def camel(value):
    words = re.findall(r"[0-9A-Za-z]+", value)
    s = "".join(w[:1].upper() + w[1:] for w in words) or "Empty"
    if s[0].isdigit():
        s = "V" + s
    return s


def rust_str(s):
    """A Rust string literal."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif 0x20 <= o < 0x7F:
            out.append(ch)
        else:
            out.append("\\u{%x}" % o)
    out.append('"')
    return "".join(out)


def rust_bytes(b):
    """A Rust byte-string literal."""
    out = ['b"']
    for o in b:
        if o == 0x22:
            out.append('\\"')
        elif o == 0x5C:
            out.append("\\\\")
        elif 0x20 <= o < 0x7F:
            out.append(chr(o))
        else:
            out.append("\\x%02x" % o)
    out.append('"')
    return "".join(out)


def raw_str(s):
    """A Rust raw string literal holding `s`."""
    hashes = 1
    while '"' + "#" * hashes in s:
        hashes += 1
    return "r" + "#" * hashes + '"' + s + '"' + "#" * hashes


class Entry:
    """One suite entry: its shapes, and the Rust names they get."""

    def __init__(self, suite, kind, index, entry):
        self.suite = suite
        self.kind = kind
        self.index = index
        self.entry = entry
        self.shapes = entry.get("shapes", {})
        self.metadata = entry.get("metadata", {})
        self.type_names = {}
        self.lines = []
        self.declared = set()
        given = [self._given_key(c) for c in entry["cases"]]
        self.given = json.loads(given[0]) if given else {}
        self.uniform = len(set(given)) <= 1
        self.op_name = self.given.get("name", "Operation")
        taken = set()
        for name, shape in self.shapes.items():
            if shape.get("type") == "structure" or (shape.get("type") == "string" and "enum" in shape):
                rust = name if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) else camel(name)
                rust = rust[0].upper() + rust[1:]
                while rust in RESERVED_TYPES or rust in taken:
                    rust += "Shape"
                taken.add(rust)
                self.type_names[name] = rust
        op = camel(self.op_name)
        while op in RESERVED_TYPES or op in taken or op + "Error" in taken:
            op += "Request"
        self.op_struct = op
        self.taken = taken | {op, op + "Error"}

    @staticmethod
    def _given_key(case):
        given = {k: v for k, v in case["given"].items() if k != "documentation"}
        return json.dumps(given, sort_keys=True)

    def mod_name(self):
        return "%s_%s_%02d_%s" % (snake(self.suite), self.kind, self.index, snake(self.op_name))

    # ----- types -------------------------------------------------------------

    def shape(self, name):
        try:
            return self.shapes[name]
        except KeyError:
            raise Unsupported("shape %s is not defined in the suite entry" % name)

    def check_shape(self, name, seen=None):
        """Raises Unsupported if the shape (or anything it holds) has no DSL form."""
        seen = set() if seen is None else seen
        if name in seen:
            return
        seen.add(name)
        s = self.shape(name)
        t = s.get("type")
        if s.get("document"):
            return
        if t in ("bigInteger", "bigDecimal"):
            raise Unsupported("%s `%s`: the DSL has no arbitrary-precision numbers" % (t, name))
        if s.get("eventstream"):
            raise Unsupported("event stream `%s`: the DSL has no event streams" % name)
        if t == "list":
            item = s["member"]["shape"]
            if self.shape(item).get("type") == "blob":
                raise Unsupported("list of blobs `%s`: the DSL has #[base64] on blob members only" % name)
            self.check_shape(item, seen)
        elif t == "map":
            if self.shape(s["key"]["shape"]).get("type") != "string":
                raise Unsupported("map `%s` with non-string keys" % name)
            value = s["value"]["shape"]
            if self.shape(value).get("type") == "blob":
                raise Unsupported("map of blobs `%s`: the DSL has #[base64] on blob members only" % name)
            self.check_shape(value, seen)
        elif t == "structure":
            for m in s.get("members", {}).values():
                self.check_shape(m["shape"], seen)
        elif t not in ("string", "integer", "long", "float", "double", "boolean", "blob",
                       "timestamp", "byte", "short"):
            raise Unsupported("shape `%s` of type %s" % (name, t))

    def rust_type(self, name):
        s = self.shape(name)
        if s.get("document"):
            return "ecrkit::Document"
        t = s["type"]
        if t == "string":
            return self.type_names[name] if "enum" in s else "String"
        if t == "list":
            return "Vec<%s>" % self.rust_type(s["member"]["shape"])
        if t == "map":
            return "std::collections::HashMap<String, %s>" % self.rust_type(s["value"]["shape"])
        if t == "structure":
            return self.type_names[name]
        return {
            "integer": "i32", "long": "i64", "float": "f32", "double": "f64", "boolean": "bool",
            "blob": "bytes::Bytes", "timestamp": "ecrkit::Timestamp", "byte": "i8",
            "short": "i16",
        }[t]

    def direct_structs(self, name):
        """Structures a structure holds directly (not through a list or map)."""
        return [m["shape"] for m in self.shape(name).get("members", {}).values()
                if self.shape(m["shape"]).get("type") == "structure"]

    def reaches(self, start, goal):
        todo, seen = [start], set()
        while todo:
            cur = todo.pop()
            if cur == goal:
                return True
            if cur in seen:
                continue
            seen.add(cur)
            todo.extend(self.direct_structs(cur))
        return False

    def boxed(self, struct, member_shape):
        """A structure member that leads back to its owner is boxed."""
        return self.shape(member_shape).get("type") == "structure" and self.reaches(member_shape, struct)

    def fields(self, struct):
        """(rust field, wire name, member shape, optional, boxed) of a structure."""
        s = self.shape(struct)
        required = set(s.get("required", []))
        out, taken = [], set()
        for wire, m in s.get("members", {}).items():
            field = snake(wire)
            while field in taken:
                field += "_"
            taken.add(field)
            out.append((field, wire, m, wire not in required, self.boxed(struct, m["shape"])))
        return out

    # ----- declarations ------------------------------------------------------

    def emit(self, line=""):
        self.lines.append(line)

    def field_lines(self, struct, operation=False):
        """The fields of a structure; `#[host_label]` goes on the
        operation's own (the input shape declared as a shape has none)."""
        lines = []
        for field, wire, m, optional, boxed in self.fields(struct):
            ms = self.shape(m["shape"])
            notes = []
            attrs = []
            fmt = m.get("timestampFormat") or ms.get("timestampFormat")
            if ms.get("type") == "timestamp" and fmt:
                if fmt not in TIMESTAMP_FORMATS:
                    raise Unsupported("timestampFormat %s" % fmt)
                attrs.append("    #[timestamp_format(%s)]" % rust_str(TIMESTAMP_FORMATS[fmt]))
            if m.get("hostLabel") and operation:
                if optional or ms.get("type") != "string":
                    raise Unsupported("a @hostLabel member that is not a required string")
                attrs.append("    #[host_label]")
            if m.get("jsonvalue"):
                notes.append("a jsonvalue member: a string on the awsJson wire")
            if m.get("locationName") and m["locationName"] != wire:
                notes.append("locationName %s is not used by awsJson" % m["locationName"])
            ty = self.rust_type(m["shape"])
            if boxed:
                ty = "Box<%s>" % ty
            if optional:
                ty = "Option<%s>" % ty
            for note in notes:
                lines.append("    // %s" % note)
            lines.extend(attrs)
            if ms.get("type") == "blob":
                lines.append("    #[base64]")
            lines.append("    #[rename = %s]" % rust_str(wire))
            lines.append("    pub %s: %s," % (field, ty))
        return lines

    def same_impl(self, rust, struct):
        fields = [f for f, *_ in self.fields(struct)] if struct else []
        checks = ["crate::harness::Same::same(&self.%s, &other.%s)" % (f, f) for f in fields]
        self.emit("impl crate::harness::Same for %s {" % rust)
        self.emit("    fn same(&self, other: &Self) -> bool {")
        if not checks:
            self.emit("        let _ = other;")
            self.emit("        true")
        for i, check in enumerate(checks):
            self.emit("        %s%s" % ("&& " if i else "", check))
        self.emit("    }")
        self.emit("}")
        self.emit()

    def declare_struct(self, name, attr, rust=None):
        rust = rust or self.type_names[name]
        s = self.shape(name)
        if s.get("union"):
            self.emit("// A union in the model. The DSL has no union type: it is a structure whose")
            self.emit("// members are all optional (one of them is set), which is the same on the wire.")
        self.emit(attr)
        self.emit("#[derive(Debug, Clone)]")
        self.emit("pub struct %s {" % rust)
        self.lines.extend(self.field_lines(name))
        self.emit("}")
        self.emit()
        self.same_impl(rust, name)

    def declare_enum(self, name):
        rust = self.type_names[name]
        self.emit("#[aws_enum]")
        self.emit("#[derive(Debug, Clone, PartialEq)]")
        self.emit("pub enum %s {" % rust)
        taken = {"Unknown"}
        for value in self.shape(name)["enum"]:
            variant = camel(value)
            while variant in taken:
                variant += "_"
            taken.add(variant)
            self.emit("    #[rename = %s]" % rust_str(value))
            self.emit("    %s," % variant)
        self.emit("    Unknown(String),")
        self.emit("}")
        self.emit()
        self.emit("impl crate::harness::Same for %s {" % rust)
        self.emit("    fn same(&self, other: &Self) -> bool {")
        self.emit("        self == other")
        self.emit("    }")
        self.emit("}")
        self.emit()

    def variant(self, enum_shape, value):
        rust = self.type_names[enum_shape]
        taken = {"Unknown"}
        for v in self.shape(enum_shape)["enum"]:
            variant = camel(v)
            while variant in taken:
                variant += "_"
            taken.add(variant)
            if v == value:
                return "%s::%s" % (rust, variant)
        return "%s::Unknown(%s.to_owned())" % (rust, rust_str(value))

    def error_shapes(self):
        return [e["shape"] for e in self.given.get("errors", [])]

    def declare(self):
        """The shapes and the operation; raises Unsupported if the DSL cannot."""
        for name in self.shapes:
            self.check_shape(name)
        for name, s in self.shapes.items():
            if s.get("type") == "string" and "enum" in s:
                self.declare_enum(name)
        errors = set(self.error_shapes())
        for name, s in self.shapes.items():
            if s.get("type") != "structure":
                continue
            if s.get("exception") or name in errors:
                code = s.get("error", {}).get("code")
                attr = "#[aws_error(code = %s)]" % rust_str(code) if code else "#[aws_error]"
                self.declare_struct(name, attr)
            else:
                self.declare_struct(name, "#[aws_shape]")
        output = self.given.get("output", {}).get("shape")
        output_type = self.type_names[output] if output else "NoOutput"
        if not output:
            self.emit("/// The operation has no output shape.")
            self.emit("#[aws_shape]")
            self.emit("#[derive(Debug, Clone)]")
            self.emit("pub struct NoOutput;")
            self.emit()
            self.same_impl("NoOutput", None)
        meta = self.metadata
        prefix = meta.get("targetPrefix", "JsonProtocol")
        self.emit("/// The entry's service, from its metadata.")
        self.emit("pub struct ProtocolService;")
        self.emit()
        self.emit("impl ecrkit::Service for ProtocolService {")
        self.emit("    const INFO: ecrkit::ServiceInfo = ecrkit::ServiceInfo {")
        self.emit("        signing_name: %s," % rust_str(meta.get("signingName") or meta.get("endpointPrefix") or "foo"))
        self.emit("        endpoint_prefix: %s," % rust_str(meta.get("endpointPrefix") or "foo"))
        self.emit("        json_version: %s," % rust_str(meta.get("jsonVersion", "1.1")))
        self.emit("        target_prefix: %s," % rust_str(prefix))
        self.emit("        env_name: \"PROTOCOL_TEST\",")
        self.emit("        query_compatible: %s," % ("true" if "awsQueryCompatible" in meta else "false"))
        self.emit("    };")
        self.emit("}")
        self.emit()
        target = "%s.%s" % (prefix, self.op_name)
        self.emit("#[aws_operation(")
        self.emit("    target = %s," % rust_str(target))
        self.emit("    output = %s," % output_type)
        self.emit("    errors(%s)," % ", ".join(self.type_names[e] for e in self.error_shapes()))
        self.emit("    service = ProtocolService,")
        endpoint = self.given.get("endpoint", {})
        if "hostPrefix" in endpoint:
            self.emit("    host_prefix = %s," % rust_str(endpoint["hostPrefix"]))
        encodings = self.given.get("requestcompression", {}).get("encodings", [])
        if encodings:
            if "gzip" not in encodings:
                raise Unsupported("request compression %s" % encodings)
            self.emit("    request_compression = \"gzip\",")
        self.emit(")]")
        self.emit("#[derive(Debug, Clone)]")
        input_shape = self.given.get("input", {}).get("shape")
        if input_shape:
            self.emit("pub struct %s {" % self.op_struct)
            self.lines.extend(self.field_lines(input_shape, operation=True))
            self.emit("}")
        else:
            self.emit("pub struct %s;" % self.op_struct)
        self.emit()

    # ----- values ------------------------------------------------------------

    def value(self, name, v):
        s = self.shape(name)
        if s.get("document"):
            return "serde_json::json!(%s)" % json.dumps(v)
        t = s["type"]
        if t == "structure":
            return self.struct_value(name, self.type_names[name], v)
        if t == "string":
            if not isinstance(v, str):
                raise Unsupported("string member %s holds %r" % (name, v))
            if "enum" in s:
                return self.variant(name, v)
            return "%s.to_owned()" % rust_str(v)
        if t in ("integer", "long", "byte", "short"):
            if isinstance(v, bool) or not isinstance(v, int):
                raise Unsupported("integer member %s holds %r" % (name, v))
            suffix = {"integer": "i32", "long": "i64", "byte": "i8", "short": "i16"}[t]
            return "%d_%s" % (v, suffix)
        if t in ("float", "double"):
            suffix = "f32" if t == "float" else "f64"
            if isinstance(v, str):
                if v not in SPECIAL_FLOATS:
                    raise Unsupported("float member %s holds %r" % (name, v))
                return "%s::%s" % (suffix, SPECIAL_FLOATS[v])
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise Unsupported("float member %s holds %r" % (name, v))
            return "%s_%s" % (repr(float(v)), suffix)
        if t == "boolean":
            if not isinstance(v, bool):
                raise Unsupported("boolean member %s holds %r" % (name, v))
            return "true" if v else "false"
        if t == "blob":
            if not isinstance(v, str):
                raise Unsupported("blob member %s holds %r" % (name, v))
            return "bytes::Bytes::from_static(%s)" % rust_bytes(v.encode("utf-8"))
        if t == "timestamp":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise Unsupported("timestamp member %s holds %r (only epoch seconds are expressible)" % (name, v))
            if isinstance(v, int) or float(v).is_integer():
                return "ecrkit::Timestamp::from_secs(%d)" % int(v)
            return "ecrkit::Timestamp::from_secs_f64(%r).expect(\"a timestamp in range\")" % float(v)
        if t == "list":
            if not isinstance(v, list):
                raise Unsupported("list member %s holds %r" % (name, v))
            if not v:
                return "Vec::new()"
            item = s["member"]["shape"]
            return "vec![%s]" % ", ".join(self.value(item, x) for x in v)
        if t == "map":
            if not isinstance(v, dict):
                raise Unsupported("map member %s holds %r" % (name, v))
            if not v:
                return "std::collections::HashMap::new()"
            value = s["value"]["shape"]
            pairs = ", ".join("(%s.to_owned(), %s)" % (rust_str(k), self.value(value, x)) for k, x in v.items())
            return "std::collections::HashMap::from([%s])" % pairs
        raise Unsupported("shape %s of type %s" % (name, t))

    def struct_value(self, struct, rust, v):
        if not isinstance(v, dict):
            raise Unsupported("structure %s holds %r" % (struct, v))
        fields = self.fields(struct)
        known = {wire for _, wire, *_ in fields}
        extra = [k for k in v if k not in known]
        if extra:
            raise Unsupported("members %s are not in structure %s" % (extra, struct))
        parts = []
        for field, wire, m, optional, boxed in fields:
            x = v.get(wire)
            if x is None:
                if not optional:
                    raise Unsupported("required member %s.%s has no value" % (struct, wire))
                parts.append("%s: None" % field)
                continue
            expr = self.value(m["shape"], x)
            if boxed:
                expr = "Box::new(%s)" % expr
            if optional:
                expr = "Some(%s)" % expr
            parts.append("%s: %s" % (field, expr))
        if not parts:
            return "%s {}" % rust
        return "%s { %s }" % (rust, ", ".join(parts))

    def input_value(self, params):
        input_shape = self.given.get("input", {}).get("shape")
        if not input_shape:
            if params:
                raise Unsupported("params %r for an operation without input" % params)
            return self.op_struct
        return self.struct_value(input_shape, self.op_struct, params)

    # ----- cases -------------------------------------------------------------

    def case_fn(self, n, case):
        """Emits the case function; returns its name."""
        fn = "case_%d" % n
        self.emit("/// `%s`" % case["id"].replace("`", "'"))
        if self.kind == "input":
            value = self.input_value(case.get("params", {}))
            self.emit("pub fn %s() -> Box<dyn crate::harness::ErasedInput> {" % fn)
            self.emit("    Box::new(%s)" % value)
            self.emit("}")
        elif "error" in case:
            code = case.get("errorCode", "")
            shape = next((e for e in self.error_shapes()
                          if code in (e, self.shape(e).get("error", {}).get("code"))), None)
            if shape is None:
                raise Unsupported("error code %s is not one of the operation's errors" % code)
            rust = self.type_names[shape]
            expected = self.struct_value(shape, rust, case["error"])
            self.emit("pub fn %s(response: &crate::harness::Response) -> Result<(), String> {" % fn)
            self.emit("    crate::harness::check_error::<%s>(response, |error| match error {" % self.op_struct)
            self.emit("        %sError::%s(got) => crate::harness::same(got, &%s)," % (self.op_struct, rust, expected))
            self.emit("        other => Err(format!(\"expected the modeled `%s` variant, got {other:?}\"))," % rust)
            self.emit("    })")
            self.emit("}")
        else:
            output = self.given.get("output", {}).get("shape")
            if output:
                expected = self.struct_value(output, self.type_names[output], case.get("result", {}))
            else:
                if case.get("result"):
                    raise Unsupported("a result for an operation without output")
                expected = "NoOutput"
            self.emit("pub fn %s(response: &crate::harness::Response) -> Result<(), String> {" % fn)
            self.emit("    crate::harness::check_output::<%s>(response, %s)" % (self.op_struct, expected))
            self.emit("}")
        self.emit()
        return fn

    def generate(self):
        """Returns (module source or None, [(case, fn path or None, reason)])."""
        results = []
        try:
            if not self.uniform:
                raise Unsupported("the entry's cases declare different operations")
            self.declare()
        except Unsupported as e:
            return None, [(c, None, str(e)) for c in self.entry["cases"]]
        for n, case in enumerate(self.entry["cases"]):
            mark = len(self.lines)
            try:
                fn = self.case_fn(n, case)
                results.append((case, "%s::%s" % (self.mod_name(), fn), ""))
            except Unsupported as e:
                del self.lines[mark:]
                results.append((case, None, str(e)))
        head = [
            "/// %s (%s suite entry %d)." % (self.entry.get("description", "").replace("`", "'"),
                                              self.kind, self.index),
            "pub mod %s {" % self.mod_name(),
            "    use ecrkit::{aws_enum, aws_error, aws_operation, aws_shape};",
            "",
        ]
        body = ["    " + line if line else "" for line in self.lines]
        return "\n".join(head + body + ["}", ""]), results


def generate(botocore):
    out = [
        "// @generated by tools/protocol_gen.py from botocore's awsJson protocol suites.",
        "// Do not edit; do not commit. tests/protocol/build.rs regenerates it.",
        "",
        "/// Why there are no cases, if there are none.",
        "pub const PROBLEM: Option<&str> = None;",
        "/// The botocore directory the suites were read from.",
        "pub const BOTOCORE_DIR: &str = %s;" % rust_str(os.path.abspath(botocore)),
    ]
    suites = []
    for suite_name, file in SUITES:
        tables = {}
        for kind in ("input", "output"):
            rel = "tests/unit/protocols/%s/%s" % (kind, file)
            with open(os.path.join(botocore, rel), "rb") as f:
                raw = f.read()
            rows = []
            for index, entry in enumerate(json.loads(raw)):
                gen = Entry(suite_name, kind, index, entry)
                module, results = gen.generate()
                if module:
                    out.append("")
                    out.append(module)
                for case, fn, reason in results:
                    data = json.dumps({
                        "entry": index,
                        "description": entry.get("description", ""),
                        "metadata": entry.get("metadata", {}),
                        "clientEndpoint": entry.get("clientEndpoint"),
                        "case": case,
                    }, sort_keys=True)
                    rows.append((case["id"], index, data, fn, reason))
            tables[kind] = (rel, fnv1a64(raw), rows)
        suites.append((suite_name, tables))
    for n, (suite_name, tables) in enumerate(suites):
        for kind, struct, field in (("input", "InputCase", "build"), ("output", "OutputCase", "check")):
            rel, fnv, rows = tables[kind]
            out.append("")
            out.append("/// The %s %s cases, in suite order." % (suite_name, kind))
            out.append("pub static %s_%d: &[crate::harness::%s] = &[" % (kind.upper(), n, struct))
            for case_id, index, data, fn, reason in rows:
                out.append("    crate::harness::%s {" % struct)
                out.append("        id: %s," % rust_str(case_id))
                out.append("        entry: %d," % index)
                out.append("        data: %s," % raw_str(data))
                out.append("        %s: %s," % (field, "Some(%s)" % fn if fn else "None"))
                out.append("        unsupported: %s," % rust_str(reason))
                out.append("    },")
            out.append("];")
    out.append("")
    out.append("/// Every suite: its name, and per direction the file (relative to the")
    out.append("/// botocore directory), its FNV-1a fingerprint and its cases.")
    out.append("pub static SUITES: &[crate::harness::Suite] = &[")
    for n, (suite_name, tables) in enumerate(suites):
        (irel, ifnv, _), (orel, ofnv, _) = tables["input"], tables["output"]
        out.append("    crate::harness::Suite {")
        out.append("        name: %s," % rust_str(suite_name))
        out.append("        input: (%s, 0x%016x, INPUT_%d)," % (rust_str(irel), ifnv, n))
        out.append("        output: (%s, 0x%016x, OUTPUT_%d)," % (rust_str(orel), ofnv, n))
        out.append("    },")
    out.append("];")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--botocore", default=DEFAULT_BOTOCORE, help="the extracted botocore sdist")
    ap.add_argument("--out", default=DEFAULT_OUT, help="the Rust file to write")
    args = ap.parse_args()
    for _, file in SUITES:
        for kind in ("input", "output"):
            path = os.path.join(args.botocore, "tests/unit/protocols", kind, file)
            if not os.path.isfile(path):
                sys.exit("protocol_gen: %s not found: run scripts/setup.sh" % path)
    source = generate(args.botocore)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(source)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
