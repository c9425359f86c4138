"""poetry.lock shaped wrong: the file, the key path, what was expected; the pyproject.toml
beside it is named for what is wrong in it."""

from __future__ import annotations

import pytest

from tests.helpers import ReadError

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
