"""Pipfile.lock shaped wrong: the file, the key path, what was expected (in JSON's words)."""

from __future__ import annotations

import pytest

from tests.helpers import ReadError
from tether.sources import Selection


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param("Pipfile.spec-a-string.lock",
                     "Pipfile.lock: in '_meta.pipfile-spec': expected an integer, got a string", id="spec-a-string"),
        pytest.param("Pipfile.version-a-number.lock",
                     "Pipfile.lock: in 'default.a.version': expected a string, got an integer",
                     id="version-a-number"),
        pytest.param("Pipfile.category-an-array.lock",
                     "Pipfile.lock: in 'develop': expected an object, got an array", id="category-an-array"),
        pytest.param("Pipfile.markers-a-boolean.lock",
                     "Pipfile.lock: in 'default.a.markers': expected a string, got a boolean", id="markers-a-boolean"),
    ],
)  # fmt: skip
def test_wrong_shapes(read_error: ReadError, data: str, message: str) -> None:
    assert read_error({"Pipfile.lock": ("pipfile-lock", data)}, Selection(groups=("dev",))) == message
