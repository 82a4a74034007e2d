"""The house layout's one direction of imports, and no eval/exec anywhere in the product."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# package -> top-level modules it must never import
FORBIDDEN = {
    "engine": {"streamlit", "plotly", "figures", "ui", "pages"},
    "figures": {"streamlit", "ui", "pages"},
    "ui": {"pages"},
    # The catalogue sits below everything: every layer may mark and translate texts.
    "i18n": {"streamlit", "plotly", "numpy", "engine", "figures", "ui", "pages"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _product_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for package in ("i18n", "engine", "figures", "ui", "pages"):
        files += sorted((ROOT / package).rglob("*.py"))
    return [f for f in files if f.exists()]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_flow_one_way(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_engine_package_exists_and_is_scanned():
    assert len(list((ROOT / "engine").rglob("*.py"))) >= 5  # the scan above is not vacuous


def test_no_eval_or_exec_in_the_product():
    calls = []
    for path in _product_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("eval", "exec"):
                calls.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert calls == []
