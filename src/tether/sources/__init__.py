"""Bound readers, one module per format, and finding the bound to read.

Auto-detection (``--lock`` omitted, or ``--lock`` naming a directory) takes the first of
these file names that exists in the directory: the tool-native locks first, since they
are the source of truth other files are exported from, then the standard lock, then
requirements, then the project's own declaration:

``uv.lock``, ``poetry.lock``, ``Pipfile.lock``, ``pixi.lock``, ``pylock.toml``,
``requirements.txt``, ``pyproject.toml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tether.errors import BoundError
from tether.sources._common import read_text
from tether.sources.interface import BoundReader, Selection
from tether.sources.pylock import PylockReader
from tether.sources.pyproject import PyprojectReader
from tether.sources.requirements_txt import RequirementsReader

if TYPE_CHECKING:
    from tether.models import Bound
    from tether.target import Target

__all__ = ["READERS", "BoundReader", "Selection", "detect", "load_bound", "reader_for"]

#: Every reader, in auto-detection order.
READERS: tuple[BoundReader, ...] = (
    PylockReader(),
    RequirementsReader(),
    PyprojectReader(),
)

_FALLBACK: BoundReader = RequirementsReader()

_DETECT_ORDER = ("uv.lock", "poetry.lock", "Pipfile.lock", "pixi.lock", "pylock.toml",
                 "requirements.txt", "pyproject.toml")  # fmt: skip


def detect(directory: Path) -> Path:
    """The bound file auto-detection picks in *directory*.

    :raises BoundError: when none of the known names is there.
    """
    for name in _DETECT_ORDER:
        candidate = directory / name
        if candidate.is_file() and any(r.matches(candidate) for r in READERS):
            return candidate
    names = ", ".join(n for n in _DETECT_ORDER if any(r.matches(Path(n)) for r in READERS))
    raise BoundError(str(directory), f"no bound file found here (looked for {names})")


def reader_for(path: Path) -> BoundReader:
    """The reader for a file, by its name; requirements files are the fallback."""
    for reader in READERS:
        if reader.matches(path):
            return reader
    return _FALLBACK


def load_bound(location: str | None, target: Target, selection: Selection | None = None) -> Bound:
    """Find, read and select a bound for *target*.

    :param location: a file or directory; ``None`` auto-detects in the working directory.
    :raises BoundError: when it cannot be found or read.
    """
    selection = selection or Selection()
    if location is None:
        path = detect(Path.cwd())
        display = path.name
    else:
        path = Path(location)
        display = location
        if path.is_dir():
            path = detect(path)
            display = str(path)
    text = read_text(path, display=display)
    return reader_for(path).read(text, path=path, display=display, target=target, selection=selection)
