"""Regenerates deploy/k8s/crds/*.schema.json: JSON Schemas of the custom resources Atelier renders
(Prometheus Operator's ServiceMonitor, PodMonitor, PrometheusRule; KEDA's ScaledObject), taken from
the npm packages generated from the operators' Go API types (@kubernetes-models/*).

Those packages ship no JSON Schema, only compiled (ajv standalone) validators and TypeScript
declarations; the declarations carry every field, its type and whether it is required, so this
script fetches the packages with `npm pack` (pinned versions below) and translates the declarations
of each kind, and of every type it reaches (Kubernetes' own ones from kubernetes-models and
@kubernetes-models/apimachinery), into one self-contained JSON Schema per kind. Every object type
gets `additionalProperties: false` (the API server's strict field validation refuses unknown
fields of a structural CRD); maps (`{[key: string]: T}`) keep their value type. TypeScript's
`number` says nothing of integers: numbers are checked as numbers.

`python -m tools.fetch_crd_schemas` rewrites the files; `--check` fails when they differ.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT = REPO_ROOT / "deploy" / "k8s" / "crds"

PACKAGES = {
    "@kubernetes-models/prometheus-operator": "6.0.0",
    "@kubernetes-models/keda": "2.0.0",
    "@kubernetes-models/apimachinery": "3.0.2",
    "kubernetes-models": "5.1.0",
}
# output file -> (package, declaration file of the kind)
KINDS = {
    "monitoring.coreos.com_v1_servicemonitor.schema.json": (
        "@kubernetes-models/prometheus-operator",
        "monitoring.coreos.com/v1/ServiceMonitor.d.ts",
    ),
    "monitoring.coreos.com_v1_podmonitor.schema.json": (
        "@kubernetes-models/prometheus-operator",
        "monitoring.coreos.com/v1/PodMonitor.d.ts",
    ),
    "monitoring.coreos.com_v1_prometheusrule.schema.json": (
        "@kubernetes-models/prometheus-operator",
        "monitoring.coreos.com/v1/PrometheusRule.d.ts",
    ),
    "keda.sh_v1alpha1_scaledobject.schema.json": ("@kubernetes-models/keda", "keda.sh/v1alpha1/ScaledObject.d.ts"),
}
# Types a package keeps open on purpose: free-form JSON.
OPEN_TYPES = {"JSONSchemaProps", "JSON", "FieldsV1"}

TOKEN = re.compile(r'\s*(\[key: string\]|"(?:[^"\\]|\\.)*"|[A-Za-z_$][\w$.]*|-?\d+(?:\.\d+)?|[{}()<>\[\]|;:?,&])')


def fetch(workdir: Path) -> dict[str, Path]:
    roots = {}
    for package, version in PACKAGES.items():
        result = subprocess.run(
            ["npm", "pack", f"{package}@{version}", "--silent"],
            cwd=workdir,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        tarball = workdir / result.stdout.strip().splitlines()[-1]
        target = workdir / package.replace("/", "__")
        with tarfile.open(tarball) as archive:
            archive.extractall(target, filter="data")
        roots[package] = target / "package"
    return roots


class Translator:
    def __init__(self, roots: dict[str, Path]) -> None:
        self.roots = roots
        self.defs: dict[str, Any] = {}

    def locate(self, module: str, here: Path) -> Path:
        if module.startswith("."):
            path = (here.parent / module).resolve()
        else:
            package = next(p for p in sorted(self.roots, key=len, reverse=True) if module.startswith(p + "/"))
            path = self.roots[package] / module[len(package) + 1 :]
        return path.with_name(path.name.removesuffix(".js") + ".d.ts")

    def reference(self, path: Path) -> dict[str, Any]:
        """A $ref to the (first) type a declaration file exports, translated once."""
        key = path.stem.removesuffix(".d")
        package = next(name for name, root in self.roots.items() if path.is_relative_to(root))
        name = f"{package}/{path.relative_to(self.roots[package]).with_suffix('').with_suffix('')}"
        if name not in self.defs:
            self.defs[name] = {}  # recursion guard
            self.defs[name] = {"type": "object"} if key in OPEN_TYPES else self.declaration(path)
        return {"$ref": "#/$defs/" + name.replace("~", "~0").replace("/", "~1")}

    def declaration(self, path: Path) -> dict[str, Any]:
        text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
        imports = {}
        for names, module in re.findall(r'import \{([^}]*)\} from "([^"]+)"', text):
            for name in names.split(","):
                imports[name.strip().split(" as ")[-1]] = module
        local: dict[str, Any] = {}
        own = re.search(r"export interface \w+(?: extends [\w, ]+)? (\{.*?\n\})", text, flags=re.S)
        if own is not None:  # the class may name a field's type as IThis["field"]
            local = self.members(TOKEN.findall(own.group(1)), 1, imports, path, {})[0].get("properties", {})
        # The class lists every field, inherited ones included (the interface only its own).
        match = re.search(r"export declare class \w+ extends Model<\w+> implements \w+ (\{.*?\n\})", text, flags=re.S)
        if match is None:
            match = re.search(r"export type \w+ = (.*?);\n", text, flags=re.S)
        assert match, path
        body = "\n".join(
            line for line in match.group(1).splitlines() if not re.match(r"\s*(constructor\(|static )", line)
        )
        tokens = TOKEN.findall(body)
        schema, rest = self.type(tokens, 0, imports, path, local)
        assert rest == len(tokens), (path, tokens[rest:])
        return schema

    def type(
        self, t: list[str], i: int, imports: dict[str, str], here: Path, local: dict[str, Any]
    ) -> tuple[dict[str, Any], int]:
        options = []
        while True:
            option, i = self.primary(t, i, imports, here, local)
            options.append(option)
            if i < len(t) and t[i] == "|":
                i += 1
                continue
            break
        if len(options) == 1:
            return options[0], i
        if all("const" in o for o in options):
            return {"enum": [o["const"] for o in options]}, i
        return {"anyOf": options}, i

    def primary(
        self, t: list[str], i: int, imports: dict[str, str], here: Path, local: dict[str, Any]
    ) -> tuple[dict[str, Any], int]:
        token = t[i]
        if token == "(":
            schema, i = self.type(t, i + 1, imports, here, local)
            assert t[i] == ")"
            i += 1
        elif token == "Array":
            assert t[i + 1] == "<"
            item, i = self.type(t, i + 2, imports, here, local)
            assert t[i] == ">"
            schema, i = {"type": "array", "items": item}, i + 1
        elif token == "{":
            schema, i = self.members(t, i + 1, imports, here, local)
        elif token in {"string", "number", "boolean", "null"}:
            schema, i = {"type": token}, i + 1
        elif token in {"any", "unknown", "object"}:
            schema, i = ({"type": "object"} if token == "object" else {}), i + 1
        elif token.startswith('"'):
            schema, i = {"const": json.loads(token)}, i + 1
        elif re.fullmatch(r"-?\d+(?:\.\d+)?", token):
            schema, i = {"const": json.loads(token)}, i + 1
        elif t[i + 1 : i + 2] == ["["] and t[i + 2].startswith('"') and json.loads(t[i + 2]) in local:
            schema, i = local[json.loads(t[i + 2])], i + 4
        elif token in imports:
            schema, i = self.reference(self.locate(imports[token], here)), i + 1
        else:
            raise ValueError(f"{here}: unknown type {token}")
        while i + 1 < len(t) and t[i] == "[" and t[i + 1] == "]":
            schema, i = {"type": "array", "items": schema}, i + 2
        return schema, i

    def members(
        self, t: list[str], i: int, imports: dict[str, str], here: Path, local: dict[str, Any]
    ) -> tuple[dict[str, Any], int]:
        properties: dict[str, Any] = {}
        required = []
        values: Any = False
        while t[i] != "}":
            if t[i] == "[key: string]":
                assert t[i + 1] == ":"
                values, i = self.type(t, i + 2, imports, here, local)
            else:
                name = json.loads(t[i]) if t[i].startswith('"') else t[i]
                optional = t[i + 1] == "?"
                i += 2 if optional else 1
                assert t[i] == ":", (here, t[i - 2 : i + 2])
                properties[name], i = self.type(t, i + 1, imports, here, local)
                if not optional:
                    required.append(name)
            assert t[i] == ";", (here, t[i - 3 : i + 3])
            i += 1
        schema: dict[str, Any] = {"type": "object"}
        if properties:
            schema["properties"] = properties
        if required:
            schema["required"] = sorted(required)
        schema["additionalProperties"] = values
        return schema, i + 1


def generate(roots: dict[str, Path]) -> dict[str, str]:
    files = {}
    for filename, (package, declaration) in KINDS.items():
        translator = Translator(roots)
        root = translator.declaration(roots[package] / declaration)
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$comment": (
                f"Generated by tools/fetch_crd_schemas.py from {package}@{PACKAGES[package]} "
                f"({declaration}); do not edit."
            ),
            **root,
            "$defs": dict(sorted(translator.defs.items())),
        }
        files[filename] = json.dumps(schema, indent=1, sort_keys=False) + "\n"
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed schemas differ")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(fetch(Path(tmp)))
    stale = []
    for filename, text in files.items():
        path = OUT / filename
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(filename)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        raise SystemExit("stale: " + ", ".join(stale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
