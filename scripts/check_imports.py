#!/usr/bin/env python3
"""Fails if the files of a crate import each other in a circle.

Reads the `use crate::..` and `use super::..` lines of every file of each
crate's `src/` (and paths written inline, `crate::config::Env`), resolves
each to the file that defines what it names (following the `pub use`
re-exports of `lib.rs` and `mod.rs` files, which are namespaces, not
dependencies), and looks for cycles between files. A file's tests
(`#[cfg(test)] mod tests`) are left out: a test may use what it likes.

    python3 scripts/check_imports.py ecr-core ecr-macros
    python3 scripts/check_imports.py --deps ecr-core   # also every file's dependencies

Prints the files and their dependencies' count, each circle with one line
per edge that closes it, and `import circles: N` (N = 0 passes).
"""
import os
import re
import sys

USE = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?use\s+((?:crate|super|self)::[^;]+);", re.M)
# `pub use child::Item;`: a re-export from a submodule, written relative.
REL_REEXPORT = re.compile(r"^\s*pub(\([^)]*\))?\s+use\s+([a-z_][a-z0-9_]*::[^;]+);", re.M)
INLINE = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")


def module_files(src):
    """{module path tuple: file} for every .rs file under src."""
    mods = {}
    for dirpath, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), src)
            parts = rel[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            mods[tuple(parts)] = os.path.join(src, rel)
    return mods


def strip(text):
    """The code of a file without comments, strings and its test module."""
    m = re.search(r"#\[cfg\((?:all\()?test\b[^\]]*\]\s*(pub\s+)?mod\s+\w+\s*\{", text)
    if m:
        text = text[: m.start()]
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'r(#*)"(?:.|\n)*?"\1', '""', text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return text


def expand_use(tree):
    """`a::{b, c::{d}}` -> ["a::b", "a::c::d"] (renames dropped)."""
    tree = re.sub(r"\s+", "", tree)
    if "{" not in tree:
        return [tree.split("as")[0] if "::" in tree else tree]
    head, rest = tree.split("{", 1)
    body = rest[: rest.rfind("}")]
    items, depth, cur = [], 0, ""
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        items.append(cur)
    out = []
    for item in items:
        if item in ("", "self"):
            out.append(head.rstrip(":"))
            continue
        for sub in expand_use(item):
            out.append(head + re.sub(r"as\w+$", "", sub))
    return out


def absolute(path, here):
    """A `crate::`/`super::`/`self::` path as segments from the crate root."""
    segs = [s for s in path.split("::") if s]
    if not segs:
        return []
    base = list(here)
    if segs[0] == "crate":
        base, segs = [], segs[1:]
    while segs and segs[0] in ("super", "self"):
        if segs[0] == "super" and base:
            base.pop()
        segs = segs[1:]
    return base + segs


def main():
    args = sys.argv[1:]
    show_deps = "--deps" in args
    crates = [a for a in args if a != "--deps"] or ["ecr-core", "ecr-macros"]
    total = 0
    for crate in crates:
        src = os.path.join(crate, "src")
        mods = module_files(src)
        texts = {m: open(f, encoding="utf-8").read() for m, f in mods.items()}
        # Re-exports: (module, name) -> absolute path of what it names.
        reexports = {}
        for m, text in texts.items():
            for mm in REL_REEXPORT.finditer(strip(text)):
                for p in expand_use(mm.group(2)):
                    segs = [x for x in p.split("::") if x]
                    if tuple(list(m) + segs[:1]) in mods and segs[-1] != "*":
                        reexports[(m, segs[-1])] = list(m) + segs
            for mm in USE.finditer(strip(text)):
                if not mm.group(1):
                    continue
                for p in expand_use(mm.group(3)):
                    target = absolute(p, m)
                    if target and target[-1] != "*":
                        reexports[(m, target[-1])] = target
                    elif target:
                        reexports.setdefault((m, "*"), []).append(target[:-1])

        def resolve(segs, depth=0):
            """The module (file) that defines what `segs` names."""
            best = ()
            for i in range(len(segs), 0, -1):
                if tuple(segs[:i]) in mods:
                    best = tuple(segs[:i])
                    break
            rest = segs[len(best):]
            if rest and depth < 8:
                target = reexports.get((best, rest[0]))
                if target:
                    return resolve(target + rest[1:], depth + 1)
                for glob in reexports.get((best, "*"), []):
                    r = resolve(glob + rest, depth + 1)
                    if r != tuple(glob) or tuple(glob + rest[:1]) in mods:
                        return r
            return best

        edges = {m: {} for m in mods}
        for m, text in texts.items():
            code = strip(text)
            refs = []
            for mm in USE.finditer(code):
                if mm.group(1):
                    continue  # a re-export: namespace, not dependency
                refs += [(p, mm.group(0).strip()) for p in expand_use(mm.group(3))]
            # Paths written in code, the `use` lines (counted above) left out.
            for mm in INLINE.finditer(USE.sub("", code)):
                refs.append((mm.group(0), mm.group(0)))
            for path, line in refs:
                segs = absolute(path, m)
                if segs and segs[-1] == "*":
                    segs = segs[:-1]
                target = resolve(segs)
                # The root and the file itself are not dependencies; nor is a
                # module its own parent's facade (`mod.rs` names its children).
                if target in ((), m) or m[: len(target)] == target:
                    continue
                edges[m].setdefault(target, line)

        # Strongly connected components (Tarjan).
        index, low, stack, on, sccs = {}, {}, [], set(), []
        counter = [0]

        def visit(v):
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in edges[v]:
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    sccs.append(comp)

        sys.setrecursionlimit(10000)
        for v in sorted(mods):
            if v not in index:
                visit(v)
        name = lambda m: os.path.relpath(mods[m], src)
        print(f"{crate}: {len(mods)} files, {sum(len(e) for e in edges.values())} file dependencies")
        if show_deps:
            for m in sorted(mods, key=name):
                print(f"  {name(m)} -> {', '.join(sorted(name(t) for t in edges[m])) or '-'}")
        for comp in sccs:
            members = set(comp)
            print(f"  circle: {', '.join(sorted(name(m) for m in comp))}")
            for m in sorted(comp):
                for t, line in sorted(edges[m].items()):
                    if t in members:
                        print(f"    {name(m)} -> {name(t)}: {line}")
        total += len(sccs)
    print(f"import circles: {total}")
    sys.exit(1 if total else 0)


if __name__ == "__main__":
    main()
