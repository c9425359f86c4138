"""pixi.lock shaped wrong: the file, the key path, what was expected (in YAML's words)."""

from __future__ import annotations

import pytest

from tests.helpers import ReadError


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param("pixi.version-a-string.lock", "pixi.lock: in 'version': expected an integer, got a string",
                     id="version-a-string"),
        pytest.param("pixi.packages-a-mapping.lock", "pixi.lock: in 'packages': expected a sequence, got a mapping",
                     id="packages-a-mapping"),
        pytest.param("pixi.name-an-integer.lock", "pixi.lock: in 'packages[0].name': expected a string, got an integer",
                     id="name-an-integer"),
        pytest.param("pixi.reference-a-sequence.lock",
                     "pixi.lock: in 'environments.default.packages.linux-64[0].pypi': expected a string, got a "
                     "sequence", id="reference-a-sequence"),
        pytest.param("pixi.editable-a-string.lock",
                     "pixi.lock: in 'packages[0].editable': expected a boolean, got a string",
                     id="editable-a-string"),
    ],
)  # fmt: skip
def test_wrong_shapes(read_error: ReadError, data: str, message: str) -> None:
    assert read_error({"pixi.lock": ("pixi-lock", data)}) == message
