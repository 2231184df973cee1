"""The unit tier stays quick: nothing it collects imports torch or diffusers (seconds of import alone;
tests that need them, or the model's weights, live in tests/model), and the whole run still draws the
property tests at full strength."""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import settings

from tools.codepaths import ROOT, module_file, reachable

UNIT = ROOT / "tests" / "unit"
HEAVY = {"torch", "diffusers", "transformers"}


def module_level_imports(path: Path) -> set[str]:
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
    return names


def third_party_loaded_by(path: Path) -> set[str]:
    """The third-party packages loading the file loads, through the repository's own modules."""
    loaded = reachable([path], module_level_imports)
    return {name.split(".")[0] for file in loaded for name in module_level_imports(file) if module_file(name) is None}


def test_no_unit_test_module_imports_torch_or_diffusers_as_it_is_collected() -> None:
    loaded = {str(path.relative_to(ROOT)): third_party_loaded_by(path) & HEAVY for path in sorted(UNIT.rglob("*.py"))}
    heavy = {path: sorted(names) for path, names in loaded.items() if names}
    assert heavy == {}, f"move these to tests/model: {heavy}"


def test_the_whole_run_draws_property_tests_at_full_strength() -> None:
    assert settings.get_profile("thorough").max_examples == 500
    assert "set -- --hypothesis-profile=thorough" in (ROOT / "atelierctl").read_text()
