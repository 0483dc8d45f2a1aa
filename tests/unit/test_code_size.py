"""Small pieces: no function over 60 lines and no class over 250 lines in scripts/ and shared/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 250


def oversized() -> list[str]:
    found = []
    for base in ("scripts", "shared"):
        for path in sorted((ROOT / base).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
                    lines = node.end_lineno - node.lineno + 1
                    if lines > limit:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {lines} lines > {limit}")
    return found


def test_no_function_over_60_lines_and_no_class_over_250() -> None:
    assert oversized() == []
