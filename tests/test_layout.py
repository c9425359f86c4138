"""The house's rules, checked on the source: the runtime stands alone, and private
modules stay private to their package."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "tether"


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def dotted(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(path: Path) -> str:
    name = dotted(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def imports(path: Path) -> list[tuple[str, int]]:
    """Every module *path* imports: (absolute name, line); relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package_of(path).split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, node.lineno))
            # `from pkg import _private` imports a module too.
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


@pytest.mark.parametrize("path", sorted((PACKAGE / "runtime").glob("*.py")), ids=lambda p: p.name)
def test_the_runtime_imports_only_the_standard_library_and_itself(path: Path) -> None:
    for name, line in imports(path):
        top = name.split(".")[0]
        if top == "tether":
            assert name.startswith("tether.runtime"), f"{path.name}:{line} imports {name}"
            continue
        assert top in sys.stdlib_module_names, f"{path.name}:{line} imports {name}, not the standard library"


def test_the_runtime_imports_itself_relatively() -> None:
    # It runs as `_tether_hook` in targets, where `tether.runtime` does not exist.
    for path in (PACKAGE / "runtime").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        absolute = [
            node.lineno
            for node in ast.walk(tree)
            if (
                isinstance(node, ast.ImportFrom)
                and node.level == 0
                and (node.module or "").startswith("tether")
            )
            or (isinstance(node, ast.Import) and any(a.name.startswith("tether") for a in node.names))
        ]
        assert absolute == [], f"{path.name}: absolute imports of tether at lines {absolute}"


def test_no_module_imports_another_packages_private_module() -> None:
    known = {dotted(p) for p in modules()}
    violations = []
    for path in modules():
        here = package_of(path)
        for name, line in imports(path):
            if name not in known:
                continue  # a name imported from a module, not a module
            owner, _, leaf = name.rpartition(".")
            if (
                leaf.startswith("_")
                and not leaf.startswith("__")
                and not (here == owner or here.startswith(owner + "."))
            ):
                violations.append(f"{dotted(path)}:{line} imports {name}")
    assert violations == []
