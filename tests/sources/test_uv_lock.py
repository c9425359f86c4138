"""uv.lock shaped wrong: the file, the key path, what was expected."""

from __future__ import annotations

import pytest

from tests.helpers import ReadError


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param("uv.dependency-name-a-table.lock",
                     "uv.lock: in 'package[3].dependencies[0].name': expected a string, got a table",
                     id="name-a-table"),
        pytest.param("uv.version-a-boolean.lock", "uv.lock: in 'version': expected an integer, got a boolean",
                     id="bool-is-not-an-int"),
        pytest.param("uv.source-an-array.lock", "uv.lock: in 'package[0].source': expected a table, got an array",
                     id="source-an-array"),
        pytest.param("uv.extra-a-string.lock",
                     "uv.lock: in 'package[0].dependencies[0].extra': expected an array, got a string",
                     id="extra-a-string"),
    ],
)  # fmt: skip
def test_wrong_shapes(read_error: ReadError, data: str, message: str) -> None:
    assert read_error({"uv.lock": ("uv-lock", data)}) == message


def test_the_pyproject_beside_it_is_named_for_its_own_faults(read_error: ReadError) -> None:
    files = {"uv.lock": ("uv-lock", "uv.cyclic.lock"),
             "pyproject.toml": ("uv-lock", "pyproject.default-groups-a-string.toml")}  # fmt: skip
    assert read_error(files) == (
        "pyproject.toml: in 'tool.uv.default-groups': expected an array of group names or 'all', got a string"
    )
