"""poetry.lock shaped wrong: the file, the key path, what was expected; the pyproject.toml
beside it is named for what is wrong in it."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from tests.helpers import ReadError, linux_311, read_bound
from tether.sources.poetry_lock import PoetryLockReader

if TYPE_CHECKING:
    from pathlib import Path

PYPROJECT = ("poetry-lock", "pyproject.for-poetry-locks.toml")


@pytest.mark.parametrize(
    ("data", "pyproject", "message"),
    [
        pytest.param("poetry.lock-version-a-float.lock", PYPROJECT,
                     "poetry.lock: in 'metadata.lock-version': expected a string, got a float",
                     id="lock-version-a-float"),
        pytest.param("poetry.markers-an-integer.lock", PYPROJECT,
                     "poetry.lock: in 'package[0].markers': expected a marker string or a table of them by "
                     "group, got an integer", id="markers-an-integer"),
        pytest.param("poetry.dependency-an-integer.lock", PYPROJECT,
                     "poetry.lock: in 'package[0].dependencies.b': expected a constraint string or a table, "
                     "or an array of them, got an integer", id="dependency-an-integer"),
        pytest.param("poetry.extras-member-a-table.lock", ("poetry-lock", "pyproject.extras-for-poetry-locks.toml"),
                     "poetry.lock: in 'package[0].extras.x[0]': expected a string, got a table",
                     id="extras-member-a-table"),
        pytest.param("poetry.dependencies-not-a-table.lock", ("poetry-lock", "pyproject.dependencies-a-string.toml"),
                     "pyproject.toml: in 'project.dependencies': expected an array, got a string",
                     id="pyproject-dependencies-a-string"),
    ],
)  # fmt: skip
def test_wrong_shapes(read_error: ReadError, data: str, pyproject: tuple[str, str], message: str) -> None:
    assert read_error({"poetry.lock": ("poetry-lock", data), "pyproject.toml": pyproject}) == message


TWO_NUMPYS = """\
[[package]]
name = "numpy"
version = "1.26.4"
description = ""
optional = false
python-versions = ">=3.9"
files = []

[[package]]
name = "numpy"
version = "2.1.0"
description = ""
optional = false
python-versions = ">=3.10"
files = []

[metadata]
lock-version = "2.0"
python-versions = "^3.10"
content-hash = "0"
"""


@pytest.mark.parametrize(("python", "version"), [("3.10.16", "1.26.4"), ("3.12.8", "2.1.0")])
def test_a_package_locked_twice_is_the_entry_the_active_constraint_admits(
    tmp_path: Path, python: str, version: str
) -> None:
    """Lock 2.0 keeps one entry per version a project needs on different Pythons; the walk
    takes the one the dependency's active alternative admits (the real locks have no such
    package, so only this lock reaches that rule). poetry-plugin-export's Exporter says the
    same of this lock: ``numpy==1.26.4 ; python_version == "3.10"``, ``numpy==2.1.0 ;
    python_version >= "3.11" and python_version < "4.0"``."""
    (tmp_path / "poetry.lock").write_text(TWO_NUMPYS)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "app"\nversion = "0.1"\n[tool.poetry.dependencies]\npython = "^3.10"\n'
        'numpy = [{version = "^1.26", python = "<3.11"}, {version = "^2.1", python = ">=3.11"}]\n'
    )
    t = linux_311()
    target = replace(t, markers={**t.markers, "python_full_version": python, "python_version": python[:4]})
    bound = read_bound(PoetryLockReader(), tmp_path / "poetry.lock", target=target)
    assert {(e.name, str(e.specifier)) for e in bound.expectations} == {
        ("app", ""),
        ("numpy", f"=={version}"),
    }
