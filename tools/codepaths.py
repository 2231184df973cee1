"""How many of the repository's files a generation's path crosses, from the route to the images.

The path starts at the modules that handle a generation: the gateway's generations routes, the
generation service's handlers and worker, and the Triton model. A file is on the path when one of
them imports it, directly or through other repository files; an import inside a function counts
(it runs when the path does). Standard library and third-party modules do not count; the
generated protobuf modules (`atelier/`) do, being files the path reads; a package's `__init__.py`
counts only when it holds code (one with a docstring at most is nothing to run).

    python -m tools.codepaths            # the count
    python -m tools.codepaths --list     # and the files
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The Triton model imports its backend package from its own directory (txt2img_backend/deployment.py).
MODEL_DIR = ROOT / "model_repository" / "txt2img" / "1"
IMPORT_ROOTS = (ROOT, MODEL_DIR)

GENERATION_ENTRIES = (
    "services/gateway/api/routes/generations.py",
    "services/generation/handlers.py",
    "services/generation/worker.py",
    "model_repository/txt2img/1/model.py",
)


def module_file(name: str) -> Path | None:
    """The repository file that `import name` loads, if it is one of ours."""
    parts = name.split(".")
    for root in IMPORT_ROOTS:
        base = root.joinpath(*parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file() and ".venv" not in candidate.parts:
                return candidate
    return None


def package_of(path: Path) -> str:
    """The dotted package a file sits in, relative to its import root."""
    root = MODEL_DIR if path.is_relative_to(MODEL_DIR) else ROOT
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] != "__init__" else parts[:-1])


def imported_names(path: Path) -> Iterable[str]:
    """Every module name an import statement in the file may load, with its parent packages."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            package = node.module or ""
            if node.level:
                anchor = package_of(path).split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                package = ".".join([*anchor, package] if package else anchor)
            # `from package import name` loads package.name when name is a module.
            names = [package, *(f"{package}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            parts = name.split(".")
            yield from (".".join(parts[:i]) for i in range(1, len(parts) + 1))


def reachable(entries: Iterable[str | Path], imports: Callable[[Path], Iterable[str]] = imported_names) -> set[Path]:
    """The repository files the entries (paths under ROOT) load, following `imports` of each file."""
    seen: set[Path] = set()
    todo = [ROOT / entry for entry in entries]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imports(path):
            found = module_file(name)
            if found is not None and found not in seen:
                todo.append(found)
    return seen


def holds_code(path: Path) -> bool:
    if path.name != "__init__.py":
        return True
    body = ast.parse(path.read_text()).body
    docstring = bool(body) and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    return len(body) > docstring


def generation_path_files() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in reachable(GENERATION_ENTRIES) if holds_code(p))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the files too")
    files = generation_path_files()
    if parser.parse_args().list:
        print("\n".join(files))  # noqa: T201  (a command-line report)
    print(len(files))  # noqa: T201


if __name__ == "__main__":
    main()
