"""Reading bound files as ``tether.sources`` does: the reader, then the file named."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, Protocol

import pytest

from tests.conftest import data_file, linux_311, read_bound
from tether.errors import BoundError
from tether.sources import load_bound
from tether.sources._common import in_file
from tether.sources.interface import Selection

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from tether.models import Bound
    from tether.sources.interface import BoundReader
    from tether.target import Target


def read_named(reader: BoundReader, path: Path, selection: Selection | None = None,
               target: Target | None = None, display: str | None = None) -> Bound:  # fmt: skip
    """:func:`tests.conftest.read_bound`, with what is wrong in the file named as *display*."""
    with in_file(display or str(path)):
        return read_bound(reader, path, selection, target, display)


class ReadError(Protocol):
    def __call__(self, files: Mapping[str, tuple[str, ...]], selection: Selection = ...) -> str: ...


@pytest.fixture
def read_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReadError:
    """Place data files under their tools' names (``{"uv.lock": ("uv-lock", "uv.x.lock")}``)
    in a folder, read the bound auto-detected there, and return the error it gives."""

    def read(files: Mapping[str, tuple[str, ...]], selection: Selection = Selection()) -> str:  # noqa: B008 - frozen
        for name, data in files.items():
            shutil.copy(data_file(*data), tmp_path / name)
        monkeypatch.chdir(tmp_path)
        with pytest.raises(BoundError) as exc:
            load_bound(None, linux_311(), selection)
        return str(exc.value)

    return read
