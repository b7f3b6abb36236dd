#!/usr/bin/env python3
"""Checks that the chart's values are documented, and prints the README's values table.

Usage:
  check_values_doc.py CHART_DIR            "ok - ..." / "not ok - ..." lines; exit 1 on a failure
  check_values_doc.py --table CHART_DIR    the Markdown values table for CHART_DIR/README.md

A value is documented by a "# -- text" comment (continued by "# " lines) right above its key, or above
an enclosing map (podSecurityContext, resources, ... are documented as a whole). Checks: every value is
documented; every documented key is in the README's table; values.yaml and values.schema.json have the
same top-level keys (besides Helm's "global").
"""

import json
import re
import sys

import yaml


def documented_keys(values_path):
    """[(dotted key, description)] in file order, and the dotted paths of all keys."""
    values = yaml.safe_load(open(values_path, encoding="utf-8"))
    rows, all_keys, stack, desc = [], [], [], []
    for line in open(values_path, encoding="utf-8").read().split("\n"):
        s = line.strip()
        if s.startswith("# --"):
            desc = [s[4:].strip()]
            continue
        if s.startswith("#"):
            if desc:
                desc.append(s[1:].strip())
            continue
        if not s:
            desc = []
            continue
        m = re.match(r"^(\s*)([A-Za-z0-9_]+):", line)
        if not m:
            desc = []
            continue
        indent = len(m.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, m.group(2)))
        path = ".".join(k for _, k in stack)
        all_keys.append(path)
        if desc:
            value = values
            for _, k in stack:
                value = value[k]
            rows.append((path, value, " ".join(desc)))
        desc = []
    return values, rows, all_keys


def table(rows):
    out = ["| Key | Default | Description |", "|---|---|---|"]
    for path, value, desc in rows:
        default = json.dumps(value, separators=(", ", ": ")).replace("|", "\\|")
        out.append(f"| `{path}` | `{default}` | {desc.replace('|', chr(92) + '|')} |")
    return "\n".join(out)


def main(argv):
    if argv and argv[0] == "--table":
        _, rows, _ = documented_keys(f"{argv[1]}/values.yaml")
        print(table(rows))
        return 0
    chart = argv[0] if argv else "helm/pulse"
    values, rows, all_keys = documented_keys(f"{chart}/values.yaml")
    failed = 0

    def check(what, ok, why=""):
        nonlocal failed
        print(f"ok - values: {what}" if ok else f"not ok - values: {what}: {why}")
        failed += 0 if ok else 1

    documented = {p for p, _, _ in rows}

    def leaves(tree, prefix=""):
        for k, v in tree.items():
            path = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict) and v and path not in documented:
                yield from leaves(v, path)
            else:
                yield path

    undocumented = [p for p in leaves(values)
                    if not any(p == d or p.startswith(d + ".") for d in documented)]
    check("every value in values.yaml has a '# --' comment", not undocumented, ", ".join(undocumented))
    readme = open(f"{chart}/README.md", encoding="utf-8").read()
    missing = [p for p in documented if f"| `{p}` |" not in readme]
    check("every documented value is in the README's values table", not missing,
          ", ".join(sorted(missing)) + " (regenerate: tests/helm/check_values_doc.py --table helm/pulse)")
    schema = json.load(open(f"{chart}/values.schema.json", encoding="utf-8"))
    in_schema = set(schema.get("properties", {})) - {"global"}
    check("values.yaml and values.schema.json have the same top-level keys", in_schema == set(values),
          f"only in values: {sorted(set(values) - in_schema)}; only in schema: {sorted(in_schema - set(values))}")
    check("the schema is draft-07 and closed at the top level",
          schema.get("$schema", "").startswith("http://json-schema.org/draft-07/schema")
          and schema.get("additionalProperties") is False, str(schema.get("$schema")))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
