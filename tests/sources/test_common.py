"""What readers share: where the file beside a bound is, and reading text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tether.errors import BoundError, DocumentError
from tether.sources._common import beside, in_file, load_toml, read_text


@pytest.mark.parametrize(
    ("display", "shown"),
    [
        ("uv.lock", "pyproject.toml"),
        ("/src/app/uv.lock", "/src/app/pyproject.toml"),
        ("https://host/app/uv.lock?token=1", "https://host/app/pyproject.toml"),
        (
            "git+https://host/repo@v1#subdirectory=app",
            "git+https://host/repo@v1#subdirectory=app (pyproject.toml)",
        ),
    ],
)
def test_beside(display: str, shown: str) -> None:
    assert beside(display, "pyproject.toml") == shown


def test_in_file_names_the_innermost_file() -> None:
    with pytest.raises(BoundError) as exc, in_file("requirements.txt"), in_file("more.txt"):
        raise DocumentError("unknown option '-Z'", line=3)
    assert str(exc.value) == "more.txt:3: unknown option '-Z'"


def test_read_text_and_toml(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"^no such file$"):
        read_text(tmp_path / "none")
    with pytest.raises(DocumentError, match=r"^is a directory; expected a lock or requirements file$"):
        read_text(tmp_path)
    with pytest.raises(DocumentError) as exc:
        load_toml('a = 1\nb = "\n')
    assert (exc.value.message, exc.value.line) == ("invalid TOML: Illegal character '\\n'", 2)
    with pytest.raises(DocumentError, match=r"^too deeply nested$"):
        load_toml("z = " + "[" * 1000 + "]" * 1000)
