"""Reading bound files as ``tether.sources`` does: the reader, then the file named."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from tests.helpers import ReadError, data_file, linux_311
from tether.errors import BoundError
from tether.sources import load_bound
from tether.sources.interface import Selection

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


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
