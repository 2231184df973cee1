"""Regenerates the Python code for the contracts in proto/ into the `atelier` package.

`python -m tools.protogen` rewrites atelier/; `--check` fails when the committed code differs
from what the current proto files and grpcio-tools would generate.
"""

import argparse
import filecmp
import importlib.resources
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

REPO_ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = REPO_ROOT / "proto"
PACKAGE = "atelier"

log = logging.getLogger("protogen")


def generate(out_dir: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    well_known = str(importlib.resources.files("grpc_tools") / "_proto")
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for directory in [out_dir / PACKAGE, *(out_dir / PACKAGE).rglob("*")]:
        if directory.is_dir():
            (directory / "__init__.py").touch()


def differences(left: Path, right: Path) -> list[str]:
    cmp = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found = [f"only in {cmp.left}: {n}" for n in cmp.left_only]
    found += [f"only in {cmp.right}: {n}" for n in cmp.right_only]
    _, mismatch, errors = filecmp.cmpfiles(left, right, cmp.common_files, shallow=False)
    found += [f"differs: {left / n}" for n in mismatch + errors]
    for sub in cmp.common_dirs:
        found += differences(left / sub, right / sub)
    return found


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if regeneration would change atelier/")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        fresh = Path(tmp) / PACKAGE
        target = REPO_ROOT / PACKAGE
        if options.check:
            found = differences(fresh, target) if target.exists() else [f"{target} is missing"]
            for line in found:
                log.error(line)
            sys.exit(1 if found else 0)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(fresh, target)
        log.info("regenerated %s", target)


if __name__ == "__main__":
    main()
