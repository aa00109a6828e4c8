"""Floors only point down: a module imports only from its own floor or below.

Every import counts, also one inside a function, under ``TYPE_CHECKING`` or
relative. A package that needs a higher floor's code is reached the other way:
the higher floor registers itself through an entry-point group (``zhice.commands``,
``zhice.tables``, ``zhice.agents``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FLOORS = {
    "core": 0,
    "audit": 1,
    "prompts": 1,
    "knowledge": 2,
    "agents": 3,
    "evals": 3,
    "api": 4,
    "benchmarks": 5,  # above the product: no product module may import a benchmark or a test
    "tests": 5,
}


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``tree``, relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.append((node.lineno, node.module or ""))
                continue
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1]
            target = ".".join([*base, node.module] if node.module else base)
            found.append((node.lineno, target))
    return found


def upward_arrows(root: Path, floors: dict[str, int]) -> list[str]:
    """``file:line -> module`` for every import from a higher floor than the file's own."""
    arrows = []
    for top, floor in floors.items():
        for path in sorted((root / top).rglob("*.py")):
            relative = path.relative_to(root)
            is_package = path.name == "__init__.py"
            module = ".".join(relative.parent.parts if is_package else relative.with_suffix("").parts)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(relative))
            for line, target in imported_modules(tree, module, is_package):
                if floors.get(target.split(".")[0], -1) > floor:
                    arrows.append(f"{relative.as_posix()}:{line} -> {target}")
    return arrows


def test_when_the_packages_are_scanned_then_no_import_runs_up_a_floor() -> None:
    arrows = upward_arrows(ROOT, FLOORS)
    assert not arrows, "imports from a higher floor (register through an entry-point group instead):\n" + "\n".join(arrows)


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        ("core/a.py", "import api.app\n", ["core/a.py:1 -> api.app"]),
        ("core/a.py", "def f():\n    from agents.charts import x\n", ["core/a.py:2 -> agents.charts"]),
        ("core/a.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from knowledge import store\n", ["core/a.py:3 -> knowledge"]),
        ("knowledge/c.py", "from audit import ledger\nimport core.db, evals\n", ["knowledge/c.py:2 -> evals"]),
        ("agents/d.py", "import evals.pii\nfrom knowledge import store\nimport sqlmodel\n", []),
        ("audit/sub/__init__.py", "from . import x\nfrom ..chain import y\n", []),
    ],
)
def test_when_a_module_imports_up_a_floor_then_the_checker_names_file_line_and_module(tmp_path: Path, path: str, source: str, expected: list[str]) -> None:
    target = tmp_path / path
    target.parent.mkdir(parents=True)
    target.write_text(source, encoding="utf-8")
    assert upward_arrows(tmp_path, FLOORS) == expected


@pytest.mark.parametrize(
    ("module", "is_package", "source", "expected"),
    [
        ("audit.sub", True, "from . import x", "audit.sub"),
        ("audit.sub.b", False, "from .c import x", "audit.sub.c"),
        ("audit.sub.b", False, "from ..chain import x", "audit.chain"),
        ("audit.sub", True, "from ..chain import x", "audit.chain"),
    ],
)
def test_when_an_import_is_relative_then_it_resolves_against_the_package(module: str, is_package: bool, source: str, expected: str) -> None:
    assert imported_modules(ast.parse(source), module, is_package) == [(1, expected)]
