"""The test suite's own rule: test modules share rigs through fixtures and helper modules (tests/rigs/ and
the plain helpers beside it), never by importing another test module, so each can move or split alone."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (imports inside functions count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_module_of_the_suite_imports_a_test_module_or_the_conftest() -> None:
    offenders = {}
    for path in sorted(TESTS.rglob("*.py")):
        wrong = sorted(name for name in imported_modules(path) if name.startswith(("tests.test_", "tests.conftest")))
        if wrong:
            offenders[str(path.relative_to(TESTS.parent))] = wrong
    assert offenders == {}, "share it through tests/rigs/ (a fixture or a helper) instead"
