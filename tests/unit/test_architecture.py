"""The dependency rule of DESIGN.md §2, checked on the source itself.

import-linter (run by scripts/test) enforces the layer contracts; this test adds the
one it cannot express: pos.domain imports nothing but the standard library.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pos.domain

DOMAIN = Path(pos.domain.__file__).parent


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    offenders = {
        f"{path.name}: {root}"
        for path in DOMAIN.glob("*.py")
        for root in imported_roots(path)
        if root not in sys.stdlib_module_names and root != "pos"
    }
    assert not offenders


def test_domain_imports_from_pos_stay_inside_the_domain() -> None:
    for path in DOMAIN.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pos"):
                assert node.module.startswith("pos.domain"), f"{path.name} imports {node.module}"
