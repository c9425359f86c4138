"""Bound readers, one module per format, and finding the bound to read.

:data:`FORMATS` registers every format once. Auto-detection (``--lock`` omitted, or
``--lock`` naming a directory) takes the first of their file names that exists in the
directory, in that order: the tool-native locks first, since they are the source of
truth other files are exported from, then the standard lock, then requirements, then
the project's own declaration:

``uv.lock``, ``poetry.lock``, ``Pipfile.lock``, ``pixi.lock``, ``pylock.toml``,
``requirements.txt``, ``pyproject.toml``.

Readers say what is wrong in a file and where (:class:`~tether.errors.DocumentError`);
the file is named where it is opened, here for the bound itself.

Every file is read through :mod:`tether.sources._files`: regular files only (the bound
itself may also be a pipe, read once and never cached), at most 64 MiB, each read once,
and recorded with the environment variables read, in :attr:`Bound.files
<tether.models.Bound.files>` and :attr:`Bound.environ <tether.models.Bound.environ>`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tether.errors import BoundError
from tether.sources._files import MAX_BYTES, is_dir, is_volatile
from tether.sources.interface import BoundFormat, BoundReader, Selection
from tether.sources.remote import fetch, is_remote, workdir

if TYPE_CHECKING:
    from tether.models import Bound
    from tether.target import Target

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "BoundFormat",
    "BoundReader",
    "Selection",
    "describe_formats",
    "detect",
    "find_upward",
    "format_of",
    "is_volatile",
    "load_bound",
    "read_toml",
    "reader_for",
]


def _is_pylock(name: str) -> bool:
    # PEP 751: pylock.toml or pylock.<name>.toml, <name> not empty and without dots. The
    # same rule as packaging.pylock.is_valid_pylock_path (tests/sources/test_init.py holds
    # them equal), which would import that module (~18 ms) just to look at a file name.
    return name == "pylock.toml" or (
        name.startswith("pylock.") and name.endswith(".toml") and name.count(".") == 2 and len(name) > 12
    )


#: Every format, in auto-detection order. A file is read by the first format that
#: claims its name, else as a requirements file (pip reads any ``-r FILE``).
FORMATS: tuple[BoundFormat, ...] = (
    BoundFormat(name="uv.lock", detect=("uv.lock",), reader="tether.sources.uv_lock:UvLockReader",
                companions=("pyproject.toml",)),
    BoundFormat(name="poetry.lock", detect=("poetry.lock",),
                reader="tether.sources.poetry_lock:PoetryLockReader", companions=("pyproject.toml",)),
    BoundFormat(name="Pipfile.lock", detect=("Pipfile.lock",),
                reader="tether.sources.pipfile_lock:PipfileLockReader", companions=("Pipfile",)),
    BoundFormat(name="pixi.lock", detect=("pixi.lock",), reader="tether.sources.pixi_lock:PixiLockReader"),
    BoundFormat(name="pylock", detect=("pylock.toml",), matcher=_is_pylock, also="pylock.NAME.toml",
                reader="tether.sources.pylock:PylockReader"),
    BoundFormat(name="requirements", detect=("requirements.txt",), also="any other file name",
                reader="tether.sources.requirements_txt:RequirementsReader"),
    BoundFormat(name="pyproject", detect=("pyproject.toml",),
                reader="tether.sources.pyproject:PyprojectReader"),
)  # fmt: skip
_FALLBACK = next(f for f in FORMATS if f.name == "requirements")


def format_of(name: str) -> BoundFormat:
    """The format of a file, by its name; requirements files are the fallback."""
    return next((f for f in FORMATS if f.matches(name)), _FALLBACK)


def reader_for(path: Path) -> BoundReader:
    """The reader for a file, by its name; requirements files are the fallback."""
    return format_of(path.name).load()


def _detected_names() -> tuple[str, ...]:
    return tuple(name for f in FORMATS for name in f.detect)


def describe_formats() -> str:
    """The files tether reads, in auto-detection order, for the CLI's ``--lock`` help."""
    return ", ".join(f.describe() for f in FORMATS)


def detect(directory: Path) -> Path:
    """The bound file auto-detection picks in *directory*.

    :raises BoundError: when none of the known names is there.
    """
    names = _detected_names()
    for name in names:
        candidate = directory / name
        # Whatever holds the name (a directory, a pipe) is taken, to be refused by type
        # with its name rather than skipped in silence.
        if os.path.exists(candidate):
            return candidate
    raise BoundError(str(directory), f"no bound file found here (looked for {', '.join(names)})")


def read_toml(path: str | Path) -> dict[str, object]:
    """A TOML file that is not a bound (a configuration) read as bound files are: refused
    by type before reading, within :data:`MAX_BYTES`, the line of a syntax error kept.

    :raises DocumentError: for anything wrong with it (the caller names the file).
    """
    from tether.sources._common import load_toml
    from tether.sources._files import read_text

    return dict(load_toml(read_text(path)).data)


def find_upward(start: Path) -> tuple[Path, tuple[Path, ...]]:
    """The bound auto-detection picks from *start* upward, as uv finds a project: *start*,
    then each parent, stopping at the first directory that holds one, or after the
    repository's root (a directory with ``.git``); and the directories looked in.

    :raises BoundError: when there is none up to the repository's root (or ``/``).
    """
    searched: list[Path] = []
    for folder in (start, *start.parents):
        searched.append(folder)
        try:
            return detect(folder), tuple(searched)
        except BoundError:
            pass
        if os.path.exists(folder / ".git"):
            break
    names = ", ".join(_detected_names())
    where = (
        "here or in a parent up to the repository's root"
        if len(searched) < len(start.parents) + 1
        else "here or in a parent"
    )
    raise BoundError(str(start), f"no bound file found {where} (looked for {names})")


def load_bound(
    location: str | None, target: Target, selection: Selection | None = None, *, timeout: float = 30.0
) -> Bound:
    """Find, read and select a bound for *target*.

    :param location: a file or directory, a URL or a ``git+`` repository (see
        :mod:`tether.sources.remote`); ``None`` auto-detects in the working directory.
    :param timeout: seconds allowed for each download (a URL, each of its companions, or
        the whole of a git fetch), from start to end.
    :raises BoundError: when it cannot be found or read.
    """
    selection = selection or Selection()
    if location is not None and is_remote(location):
        from dataclasses import replace

        try:
            with workdir() as tmp:
                path = fetch(location, Path(tmp), _detected_names(), lambda name: format_of(name).companions,
                             timeout)  # fmt: skip
                return replace(_read(path, location, target, selection), files=())
        except OSError as e:
            # Where the download is kept (a temporary folder; a name too long for it).
            raise BoundError(location, f"cannot keep what was fetched ({e.strerror or e})") from e
    searched: tuple[Path, ...] = ()
    if location is None:
        path, searched = find_upward(Path.cwd())
        display = os.path.relpath(path) if len(searched) > 1 else path.name
    else:
        # Absolute from here on: what a bound names relative to itself (-e ./pkg, a
        # pylock directory) is then the same whatever the working directory was.
        path = Path(os.path.abspath(location))
        display = location
        if is_dir(path):
            searched = (path,)
            path = detect(path)
            display = str(Path(location) / path.name)
    bound = _read(path, display, target, selection)
    if not searched:
        return bound
    from dataclasses import replace

    # What auto-detection looked at, not the folders: a folder's stamp changes whenever any
    # file is created in it, which would drop every cached answer in a busy directory.
    looked_at = [
        str(folder / name)
        for folder in searched
        for name in (*_detected_names(), ".git")
        if folder / name != path
    ]
    return replace(bound, searched=tuple(looked_at))


def _read(path: Path, display: str, target: Target, selection: Selection) -> Bound:
    """Read one bound file, naming it on whatever is wrong in it.

    Readers say what is wrong and where in the file (a key path, a line), reading every
    value with the type its format gives it; the file is named here, once, as the user
    named it. What a reader did not foresee (a shape no check caught) still gives one
    line, keeping the low-level complaint.

    :raises BoundError: for anything wrong with the file.
    """
    from dataclasses import replace

    from tether.sources._common import TOO_DEEP, check_comparable, in_file
    from tether.sources._files import consulting, read_text

    fmt = format_of(path.name)
    reader = fmt.load()
    try:
        with in_file(display), consulting() as consulted:
            text = read_text(path, bound=True)
            bound = reader.read(text, path=path, display=display, target=target, selection=selection)
            check_comparable([*bound.expectations, *bound.conda])
    except BoundError:
        raise
    except RecursionError as e:
        raise BoundError(display, f"not a valid {fmt.name} file ({TOO_DEEP})") from e
    except OSError as e:  # a path it names, looked at by a reader (files are read in _files)
        raise BoundError(display, f"cannot look at a path it names ({e.strerror or e})") from e
    except (AttributeError, KeyError, IndexError, TypeError, ValueError) as e:
        what = str(e).splitlines()[0] if str(e) else ""
        msg = f"not a valid {fmt.name} file (unexpected structure: {type(e).__name__}: {what})"
        raise BoundError(display, msg) from e
    # What the reader listed, then whatever else was looked at; never a pipe, which is
    # another file at the next run (and stamping it would read that run's content).
    files = [f for f in dict.fromkeys([*bound.files, *consulted.files]) if not is_volatile(f)]
    return replace(bound, files=tuple(files), environ=tuple(consulted.environ.items()))
