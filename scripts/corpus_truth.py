#!/usr/bin/env python3
"""List model-loading calls in a Python corpus, as ground truth for brine.

Usage:
    python3 scripts/corpus_truth.py CORPUS > truth.json

Parses every .py file under CORPUS with the `ast` module (the corpus is never
imported or executed) and lists every call whose callee is, textually:

  * `torch.load(...)`            -- attribute `load` on the Name `torch`
  * `X.from_pretrained(...)`     -- any attribute call named `from_pretrained`
  * `hf_hub_download(...)`       -- a Name or any attribute of that name
  * `snapshot_download(...)`     -- a Name or any attribute of that name

Strings (docstrings included) are not calls, so examples in docstrings are
not listed. Aliases (`from torch import load`, `import torch as th`) are not
resolved: this is a textual inventory.

Each JSON record has:
  path           file path relative to CORPUS ("/"-separated)
  line           1-based line of the callee's last name (for an attribute
                 callee spread over lines, the line where `.load` /
                 `.from_pretrained` is, i.e. node.func.end_lineno)
  col            1-based column (in characters) of that last name
  call_line      1-based line where the call expression starts
  end_line       last line of the call expression
  kind           "torch.load" | "from_pretrained" | "hf_hub_download"
                 | "snapshot_download"
  callee         source text of the callee (ast.unparse)
  source_line    the text of line `line`, stripped
  has_star_args  a `*args` argument is present
  has_double_star a `**kwargs` argument is present
for torch.load additionally:
  weights_only          keyword `weights_only` present (bool)
  weights_only_src      its source text (ast.unparse) or null
  weights_only_category "true" (literal True) | "false" (literal False) |
                        "other" (any other expression) | "absent_double_star"
                        (absent, but ** present) | "absent"
for the HF calls additionally:
  revision              keyword `revision` present (bool)
  revision_src          its source text (ast.unparse) or null
  revision_category     "literal" (a string constant) | "none" (literal None)
                        | "other" (any other expression) |
                        "absent_double_star" | "absent"

A summary with counts goes to stderr.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from collections import Counter
from pathlib import Path

HF_NAMES = ("hf_hub_download", "snapshot_download")


def classify_callee(func: ast.expr) -> tuple[str, str] | None:
    """Return (kind, last_name) if func is one of the callees we track."""
    if isinstance(func, ast.Attribute):
        if func.attr == "load" and isinstance(func.value, ast.Name) and func.value.id == "torch":
            return "torch.load", "load"
        if func.attr == "from_pretrained":
            return "from_pretrained", "from_pretrained"
        if func.attr in HF_NAMES:
            return func.attr, func.attr
    elif isinstance(func, ast.Name):
        if func.id in HF_NAMES:
            return func.id, func.id
    return None


def find_keyword(call: ast.Call, name: str) -> ast.keyword | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw
    return None


def char_col(line_bytes: bytes, byte_offset: int) -> int:
    """Convert an ast UTF-8 byte offset on a line to a 0-based character offset."""
    return len(line_bytes[:byte_offset].decode("utf-8", "replace"))


def scan_file(path: Path, rel: str) -> list[dict]:
    data = path.read_bytes()
    tree = ast.parse(data, filename=str(path))
    lines = data.splitlines()
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        found = classify_callee(node.func)
        if found is None:
            continue
        kind, last = found
        func = node.func
        line = func.end_lineno
        line_bytes = lines[line - 1] if 0 < line <= len(lines) else b""
        # The last name ends where the callee ends.
        col = char_col(line_bytes, func.end_col_offset) - len(last) + 1
        has_double_star = any(kw.arg is None for kw in node.keywords)
        has_star_args = any(isinstance(a, ast.Starred) for a in node.args)
        rec = {
            "path": rel,
            "line": line,
            "col": col,
            "call_line": node.lineno,
            "end_line": node.end_lineno,
            "kind": kind,
            "callee": ast.unparse(func),
            "source_line": line_bytes.decode("utf-8", "replace").strip(),
            "has_star_args": has_star_args,
            "has_double_star": has_double_star,
        }
        if kind == "torch.load":
            kw = find_keyword(node, "weights_only")
            rec["weights_only"] = kw is not None
            rec["weights_only_src"] = ast.unparse(kw.value) if kw else None
            if kw is not None:
                v = kw.value
                if isinstance(v, ast.Constant) and v.value is True:
                    cat = "true"
                elif isinstance(v, ast.Constant) and v.value is False:
                    cat = "false"
                else:
                    cat = "other"
            else:
                cat = "absent_double_star" if has_double_star else "absent"
            rec["weights_only_category"] = cat
        else:
            kw = find_keyword(node, "revision")
            rec["revision"] = kw is not None
            rec["revision_src"] = ast.unparse(kw.value) if kw else None
            if kw is not None:
                v = kw.value
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    cat = "literal"
                elif isinstance(v, ast.Constant) and v.value is None:
                    cat = "none"
                else:
                    cat = "other"
            else:
                cat = "absent_double_star" if has_double_star else "absent"
            rec["revision_category"] = cat
        out.append(rec)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    corpus = Path(argv[1])
    if not corpus.is_dir():
        print(f"error: {corpus} is not a directory", file=sys.stderr)
        return 2

    records: list[dict] = []
    n_files = 0
    parse_errors: list[str] = []
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames.sort()
        for fn in sorted(filenames):
            if not fn.endswith(".py"):
                continue
            path = Path(dirpath) / fn
            rel = path.relative_to(corpus).as_posix()
            n_files += 1
            try:
                records.extend(scan_file(path, rel))
            except (SyntaxError, ValueError, UnicodeDecodeError) as e:
                parse_errors.append(f"{rel}: {type(e).__name__}: {e}")

    records.sort(key=lambda r: (r["path"], r["line"], r["col"]))
    json.dump(records, sys.stdout, indent=1)
    sys.stdout.write("\n")

    # Summary.
    err = sys.stderr
    print(f"files scanned: {n_files}, parse errors: {len(parse_errors)}", file=err)
    for e in parse_errors:
        print(f"  parse error: {e}", file=err)

    tl = [r for r in records if r["kind"] == "torch.load"]
    c = Counter(r["weights_only_category"] for r in tl)
    print(f"torch.load: {len(tl)} calls", file=err)
    print(f"  weights_only=True (literal):  {c['true']}", file=err)
    print(f"  weights_only=False (literal): {c['false']}", file=err)
    print(f"  weights_only=<other expr>:    {c['other']}", file=err)
    print(f"  no weights_only, has **:      {c['absent_double_star']}", file=err)
    print(f"  no weights_only, no **:       {c['absent']}", file=err)

    for kind in ("from_pretrained", "hf_hub_download", "snapshot_download"):
        rs = [r for r in records if r["kind"] == kind]
        c = Counter(r["revision_category"] for r in rs)
        n_rev = c["literal"] + c["none"] + c["other"]
        print(f"{kind}: {len(rs)} calls", file=err)
        print(f"  revision=...:                 {n_rev}", file=err)
        print(f"    string literal:             {c['literal']}", file=err)
        print(f"    None literal:               {c['none']}", file=err)
        print(f"    other expr:                 {c['other']}", file=err)
        print(f"  no revision, has ** only:     {c['absent_double_star']}", file=err)
        print(f"  no revision, no **:           {c['absent']}", file=err)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
