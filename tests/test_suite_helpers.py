"""The suite's own rules: what a test needs and cannot find fails in CI and skips, with its
reason, elsewhere."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import DATA, in_ci, pyenv_python, tool


@pytest.mark.parametrize(("value", "expected"), [("", False), ("0", False), ("false", False), ("False", False),
                                                 ("true", True), ("1", True), ("yes", True)])  # fmt: skip
def test_ci_is_set(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("CI", value)
    assert in_ci() is expected
    monkeypatch.delenv("CI")
    assert not in_ci()


def test_a_missing_tool_or_python_fails_in_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"no-such-tool .*a failure when CI is set"):
        tool("no-such-tool")
    with pytest.raises(pytest.skip.Exception, match=r"no Python 3\.99 under .*`pyenv install 3\.99`"):
        pyenv_python("3.99")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"no-such-tool .*required when CI is set"):
        tool("no-such-tool")
    with pytest.raises(pytest.fail.Exception, match=r"no Python 3\.99 under .*required when CI is set"):
        pyenv_python("3.99")


def test_no_test_imports_a_conftest() -> None:
    """Helpers are imported from tests/helpers.py (or a folder's own helper module); a
    conftest.py holds fixtures, which pytest hands to the tests that name them."""
    tests = Path(__file__).parent
    importers = []
    for path in sorted(tests.rglob("*.py")):
        if DATA in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [alias.name for alias in node.names]
                names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                if any(name.split(".")[-1] == "conftest" for name in names):
                    importers.append(f"{path.relative_to(tests)}:{node.lineno}")
    # Every helper a conftest.py once held is in tests/helpers.py:
    #   sed -i 's/from tests\.conftest import/from tests.helpers import/' FILE
    assert importers == [], "import helpers from tests.helpers, not from a conftest"
