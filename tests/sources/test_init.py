"""One registry of bound formats: auto-detection, the reader for a file, remote companions
and the CLI's help all come from ``sources.FORMATS``; and the boundary names the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import linux_311
from tether.errors import BoundError
from tether.sources import FORMATS, BoundFormat, describe_formats, detect, format_of, load_bound, reader_for

#: The order auto-detection had before the registry: it must not change.
DETECT_ORDER = ["uv.lock", "poetry.lock", "Pipfile.lock", "pixi.lock", "pylock.toml", "requirements.txt",
                "pyproject.toml"]  # fmt: skip


def test_detection_order_is_unchanged() -> None:
    assert [name for f in FORMATS for name in f.detect] == DETECT_ORDER


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
def test_each_format_loads_its_reader(fmt: BoundFormat) -> None:
    reader = fmt.load()
    assert reader.format == fmt.name
    assert all(fmt.matches(name) for name in fmt.detect)
    assert all(format_of(name) is fmt for name in fmt.detect)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("uv.lock", "uv.lock"),
        ("pylock.toml", "pylock"),
        ("pylock.dev.toml", "pylock"),
        ("pylock.a.b.toml", "requirements"),
        ("pyproject.toml", "pyproject"),
        ("requirements-dev.in", "requirements"),
        ("constraints.txt", "requirements"),
        ("Pipfile", "requirements"),
    ],
)
def test_a_file_is_read_by_its_name(name: str, fmt: str) -> None:
    assert format_of(name).name == fmt
    assert reader_for(Path(name)).format == fmt


def test_companions() -> None:
    assert {f.name: f.companions for f in FORMATS if f.companions} == {
        "uv.lock": ("pyproject.toml",),
        "poetry.lock": ("pyproject.toml",),
        "Pipfile.lock": ("Pipfile",),
    }


def test_the_help_names_every_file_in_detection_order() -> None:
    assert describe_formats() == (
        "uv.lock, poetry.lock, Pipfile.lock, pixi.lock, pylock.toml (or pylock.NAME.toml), "
        "requirements.txt (or any other file name), pyproject.toml"
    )


def test_detection_takes_the_first_name_present(tmp_path: Path) -> None:
    for name in DETECT_ORDER:
        (tmp_path / name).write_text("")
    for name in DETECT_ORDER:
        assert detect(tmp_path) == tmp_path / name
        (tmp_path / name).unlink()
    with pytest.raises(BoundError) as exc:
        detect(tmp_path)
    assert str(exc.value) == f"{tmp_path}: no bound file found here (looked for {', '.join(DETECT_ORDER)})"


class Careless:
    """A reader that breaks on a shape it did not check."""

    format = "careless"

    def read(self, text: str, **_: object) -> object:
        document: dict[str, object] = {}
        return document["version"]


class Looking:
    """A reader that looks at a path the file names, and fails to."""

    format = "looking"

    def read(self, text: str, **_: object) -> object:
        return Path("x" * 5000).stat()


class Recursive:
    """A reader that recurses once per level of a structure it walks."""

    format = "recursive"

    def read(self, text: str, **_: object) -> object:
        return self.walk(text)

    def walk(self, text: str) -> object:
        # Not read() itself: CPython 3.13.0 never raises RecursionError for a function
        # that takes **kwargs and calls itself (it recurses until memory runs out).
        return self.walk(text)


@pytest.mark.parametrize(
    ("reader", "message"),
    [
        ("Careless", "not a valid careless file (unexpected structure: KeyError: 'version')"),
        ("Looking", "cannot look at a path it names (File name too long)"),
        ("Recursive", "not a valid recursive file (too deeply nested)"),
    ],
)
def test_the_boundary_still_catches_what_a_reader_did_not_foresee(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: str, message: str
) -> None:
    fmt = BoundFormat(name=reader.lower(), detect=("careless.lock",), reader=f"{__name__}:{reader}")
    monkeypatch.setattr("tether.sources.FORMATS", (fmt, *FORMATS))
    (tmp_path / "careless.lock").write_text("")
    with pytest.raises(BoundError) as exc:
        load_bound(str(tmp_path / "careless.lock"), linux_311())
    assert str(exc.value) == f"{tmp_path / 'careless.lock'}: {message}"


def test_a_nested_file_is_named_for_its_own_faults(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n-r sub/more.txt\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "more.txt").write_text("idna==3.6\nrequests = = 2\n")
    with pytest.raises(BoundError) as exc:
        load_bound(str(tmp_path / "requirements.txt"), linux_311())
    assert str(exc.value) == (
        f"{tmp_path / 'sub' / 'more.txt'}:2: invalid requirement 'requests = = 2': Expected semicolon "
        "(after name with no version specifier) or end"
    )
    (tmp_path / "sub" / "more.txt").unlink()
    with pytest.raises(BoundError) as exc:
        load_bound(str(tmp_path / "requirements.txt"), linux_311())
    assert str(exc.value) == f"{tmp_path / 'sub' / 'more.txt'}: no such file"


@pytest.mark.parametrize(
    "name",
    ["pylock.toml", "pylock.dev.toml", "pylock..toml", "pylock.a.b.toml", "pylock.toml.bak", "xpylock.toml",
     "pylock.dev-1.toml", "pylock.DEV.toml", "pylock._.toml", "pyproject.toml"],
)  # fmt: skip
def test_pylock_names_as_packaging_tells_them(name: str) -> None:
    """sources._is_pylock avoids importing packaging.pylock to look at a file name; it
    must say what packaging.pylock.is_valid_pylock_path says."""
    from pathlib import Path

    from packaging.pylock import is_valid_pylock_path

    from tether.sources import format_of

    assert (format_of(name).name == "pylock") == is_valid_pylock_path(Path(name))
