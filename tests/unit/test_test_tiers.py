"""The unit tier stays quick: running it imports neither torch nor diffusers (seconds of import alone;
tests that need them, or the model's weights, live in tests/model), and the whole run still draws the
property tests at full strength.

Read from the source, so it holds in any run; an import a repository module makes inside a function
that a test calls is caught when the test runs, by tests/support/offline.py's no_heavy_imports."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from hypothesis import settings

from tools.codepaths import ROOT, imported_names, module_file, reachable

UNIT = ROOT / "tests" / "unit"
HEAVY = {"torch", "diffusers", "transformers"}


@functools.cache
def module_level_imports(path: Path) -> frozenset[str]:
    """The modules a file imports as it loads (imports inside functions run only when called)."""
    names: set[str] = set()
    todo = list(ast.parse(path.read_text(), str(path)).body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.If | ast.Try):
            todo += [child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)]
            if isinstance(node, ast.Try):
                todo += [stmt for handler in node.handlers for stmt in handler.body]
    return frozenset(names)


def heavy_imports_of(test_file: Path) -> set[str]:
    """The heavy packages running the file's tests imports: whatever the test file imports (its test
    functions run), and what the repository modules it reaches import as they load."""
    own = set(imported_names(test_file))
    reached = reachable([found for name in own if (found := module_file(name))], module_level_imports)
    names = own.union(*(module_level_imports(path) for path in reached))
    return {name.split(".")[0] for name in names if module_file(name) is None} & HEAVY


def test_no_unit_test_imports_torch_or_diffusers() -> None:
    loaded = {str(path.relative_to(ROOT)): heavy_imports_of(path) for path in sorted(UNIT.rglob("*.py"))}
    heavy = {path: sorted(names) for path, names in loaded.items() if names}
    assert heavy == {}, f"move these to tests/model: {heavy}"


def test_the_whole_run_draws_property_tests_at_full_strength() -> None:
    assert settings.get_profile("thorough").max_examples == 500
    assert "set -- --hypothesis-profile=thorough" in (ROOT / "atelierctl").read_text()
