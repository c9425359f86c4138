from __future__ import annotations

import pytest

from tests.helpers import data_file, read_named
from tether.errors import BoundError
from tether.sources import Selection
from tether.sources.pylock import PylockReader


def read(name: str, selection: Selection | None = None):
    return read_named(PylockReader(), data_file("pylock", name), selection, display=name)


def test_sources_and_markers() -> None:
    bound = read("pylock.sources.toml")
    by_name = {e.name: e for e in bound.expectations}
    assert sorted(by_name) == ["from-archive", "from-dir", "from-git", "from-index"]
    assert by_name["from-index"].source is not None and by_name["from-index"].source.kind == "index"
    git = by_name["from-git"].source
    assert git is not None and (git.kind, git.commit, git.revision) == (
        "vcs",
        "0123456789abcdef0123456789abcdef01234567",
        "v2.0",
    )
    directory = by_name["from-dir"].source
    assert directory is not None and directory.editable
    assert directory.url == str(data_file("pylock") / "src" / "from-dir")
    assert str(by_name["from-dir"].specifier) == ""
    assert not bound.follows


def test_extras_and_groups() -> None:
    names = {
        e.name for e in read("pylock.sources.toml", Selection(extras=("cli",), groups=("dev",))).expectations
    }
    assert {"cli-extra", "dev-tool"} <= names


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "pylock.unknown-lock-version.toml",
            "pylock.unknown-lock-version.toml: in 'lock-version': lock-version '2.0' is not supported; "
            "expected 1.x (PEP 751)",
        ),
        (
            "pylock.package-missing-version.toml",
            "pylock.package-missing-version.toml: in 'packages[0]': exactly one of vcs, directory, "
            "archive must be set if sdist and wheels are not set",
        ),
    ],
)
def test_invalid(name: str, message: str) -> None:
    with pytest.raises(BoundError) as exc:
        read(name)
    assert str(exc.value) == message


def test_undeclared_extra() -> None:
    with pytest.raises(BoundError, match="Undeclared extras: nope"):
        read("pylock.sources.toml", Selection(extras=("nope",)))
