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

if TYPE_CHECKING:
    from collections.abc import Callable

import importlib
from dataclasses import replace

from tether.errors import BoundError
from tether.sources._common import read_text
from tether.sources.interface import BoundReader, Selection
from tether.sources.remote import fetch, is_remote, workdir

if TYPE_CHECKING:
    from tether.models import Bound
    from tether.target import Target

__all__ = ["FORMATS", "BoundReader", "Selection", "detect", "load_bound", "reader_for"]


def _is_pylock(name: str) -> bool:
    # PEP 751: pylock.toml or pylock.<name>.toml, <name> without dots. The same rule as
    # packaging.pylock.is_valid_pylock_path, which would import that module (~18 ms)
    # just to look at a file name.
    return name == "pylock.toml" or (
        name.startswith("pylock.") and name.endswith(".toml") and name.count(".") == 2
    )


#: Every format: its matcher on the file name, and its reader (imported only when used,
#: since each pulls in its own parser). The last one is the fallback.
FORMATS: tuple[tuple[str, Callable[[str], bool], str], ...] = (
    ("uv.lock", lambda name: name == "uv.lock", "tether.sources.uv_lock:UvLockReader"),
    ("poetry.lock", lambda name: name == "poetry.lock", "tether.sources.poetry_lock:PoetryLockReader"),
    ("Pipfile.lock", lambda name: name == "Pipfile.lock", "tether.sources.pipfile_lock:PipfileLockReader"),
    ("pixi.lock", lambda name: name == "pixi.lock", "tether.sources.pixi_lock:PixiLockReader"),
    ("pylock", _is_pylock, "tether.sources.pylock:PylockReader"),
    ("pyproject", lambda name: name == "pyproject.toml", "tether.sources.pyproject:PyprojectReader"),
    ("requirements", lambda name: True, "tether.sources.requirements_txt:RequirementsReader"),
)

_DETECT_ORDER = (
    "uv.lock",
    "poetry.lock",
    "Pipfile.lock",
    "pixi.lock",
    "pylock.toml",
    "requirements.txt",
    "pyproject.toml",
)


def detect(directory: Path) -> Path:
    """The bound file auto-detection picks in *directory*.

    :raises BoundError: when none of the known names is there.
    """
    for name in _DETECT_ORDER:
        candidate = directory / name
        if candidate.is_file() and _format_of(name) is not None:
            return candidate
    names = ", ".join(n for n in _DETECT_ORDER if _format_of(n) is not None)
    raise BoundError(str(directory), f"no bound file found here (looked for {names})")


def _format_of(name: str) -> str | None:
    """The format a detectable file name has (requirements only for requirements.txt)."""
    for fmt, matches, _ in FORMATS[:-1]:
        if matches(name):
            return fmt
    return "requirements" if name == "requirements.txt" else None


def reader_for(path: Path) -> BoundReader:
    """The reader for a file, by its name; requirements files are the fallback."""
    for _, matches, spec in FORMATS:
        if matches(path.name):
            module, _, cls = spec.partition(":")
            reader: BoundReader = getattr(importlib.import_module(module), cls)()
            return reader
    raise AssertionError(path)  # pragma: no cover - the last format matches everything


def load_bound(
    location: str | None, target: Target, selection: Selection | None = None, *, timeout: float = 30.0
) -> Bound:
    """Find, read and select a bound for *target*.

    :param location: a file or directory, a URL or a ``git+`` repository (see
        :mod:`tether.sources.remote`); ``None`` auto-detects in the working directory.
    :param timeout: seconds allowed for each network or git operation.
    :raises BoundError: when it cannot be found or read.
    """
    selection = selection or Selection()
    if location is not None and is_remote(location):
        with workdir() as tmp:
            path = fetch(location, Path(tmp), _DETECT_ORDER, timeout)
            return replace(_read(path, location, target, selection), files=())
    if location is None:
        path = detect(Path.cwd())
        display = path.name
    else:
        path = Path(location)
        display = location
        if path.is_dir():
            path = detect(path)
            display = str(path)
    return _read(path, display, target, selection)


def _read(path: Path, display: str, target: Target, selection: Selection) -> Bound:
    """Read one bound file, translating what its shape breaks into one line.

    Readers name what they check (versions, keys, markers) in their own words. A file
    that is valid TOML/JSON/YAML but shaped unlike its format (a table where a list
    belongs, a number where a string does) breaks a reader somewhere else: that is
    translated here, once, at the module boundary, keeping the low-level complaint so
    that the line still says what was wrong.

    :raises BoundError: for anything wrong with the file.
    """
    text = read_text(path, display=display)
    reader = reader_for(path)
    try:
        return reader.read(text, path=path, display=display, target=target, selection=selection)
    except BoundError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        msg = f"not a valid {reader.format} file (unexpected structure: {type(e).__name__}: {e})"
        raise BoundError(display, msg) from e
