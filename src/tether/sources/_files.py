"""The files a bound is made of: checked by type before they are read, capped in size, and
recorded, with the environment variables read, as what a cached answer depends on.

A bound and every file it brings in (an ``-r`` file, the ``pyproject.toml`` beside a lock,
a local project's metadata) is read here, once:

- only a regular file is read; a directory, a device (``/dev/zero``), a socket or a named
  pipe (FIFO) is refused before anything is read from it, since reading one would hang or
  never end;
- the bound itself, and only it, may be a pipe this process was handed (``--lock
  /dev/stdin``, ``--lock <(uv export)``): it is read once into memory. Such a file is
  another one at each run, so it is never recorded (and never stamped: a stamp would
  read the next run's pipe);
- nothing larger than :data:`MAX_BYTES` is read (no lock comes near it).

What the reading of one bound looked at is recorded (:func:`consulting`): every file it
read or looked for (present or not, so that creating one is a change) and every
environment variable it expanded.
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from tether.errors import DocumentError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = [
    "MAX_BYTES",
    "Consulted",
    "consult",
    "consulting",
    "decode",
    "exists",
    "getenv",
    "is_dir",
    "is_volatile",
    "read_bytes",
    "read_text",
    "realpath",
]

#: The largest bound file tether reads (the largest real locks are a few MiB).
MAX_BYTES = 64 * 1024 * 1024
_CAP = f"{MAX_BYTES >> 20} MiB"
_CHUNK = 1 << 16


class Consulted:
    """What the reading of one bound looked at."""

    __slots__ = ("environ", "files")

    def __init__(self) -> None:
        #: Every file read or looked for, in order, present or not.
        self.files: dict[str, None] = {}
        #: Every environment variable read, with its value then (``None``: unset).
        self.environ: dict[str, str | None] = {}


# The reading in progress, in this thread or task.
_current: ContextVar[Consulted | None] = ContextVar("tether_consulted", default=None)


@contextmanager
def consulting() -> Iterator[Consulted]:
    """Record what is read in this block (see :class:`Consulted`)."""
    record = Consulted()
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)


def consult(path: str | Path) -> None:
    """Record that the answer depends on *path*, whether it exists or not."""
    record = _current.get()
    if record is not None:
        record.files.setdefault(os.fspath(path))


def getenv(name: str) -> str | None:
    """An environment variable (``None`` when unset), recorded."""
    value = os.environ.get(name)
    record = _current.get()
    if record is not None:
        record.environ.setdefault(name, value)
    return value


def exists(path: str | Path) -> bool:
    """Whether *path* exists (following symbolic links), recorded either way."""
    consult(path)
    try:
        os.stat(path)
    except (OSError, ValueError):
        return False
    return True


def is_dir(path: str | Path) -> bool:
    """Whether *path* is a directory; ``False`` for any path that cannot be looked at
    (``Path.is_dir`` raises for a name too long)."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def realpath(path: str | Path) -> str:
    """*path* with its symbolic links resolved; a loop is left unresolved, where
    ``Path.resolve`` raises ``RuntimeError``, and a name no file can have (a NUL
    character) is left as it is."""
    try:
        return os.path.realpath(path)
    except ValueError:
        return os.path.abspath(path)


def is_volatile(path: str | Path) -> bool:
    """Whether *path* names what this process was handed rather than a file of its own:
    standard input, a descriptor (``/dev/fd/63``, as ``<(cmd)`` passes a pipe), or a
    ``/proc`` file. Its content is another at each run, which no stamp can tell."""
    full = os.path.abspath(path)
    if full.startswith(("/dev/fd/", "/dev/std", "/proc/")):
        return True
    return realpath(full).startswith("/proc/")  # a link to /dev/stdin, itself a pipe


def _refuse(mode: int, *, pipe: bool) -> str | None:
    """Why a file of this *mode* is not read (``None``: it is read)."""
    if stat.S_ISREG(mode) or (pipe and stat.S_ISFIFO(mode)):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory; expected a lock or requirements file"
    if stat.S_ISFIFO(mode):
        return (
            "is a named pipe (FIFO); expected a regular file (a pipe can be the bound itself, "
            "read once: --lock /dev/stdin)"
        )
    if stat.S_ISSOCK(mode):
        return "is a socket; expected a regular file"
    kind = "character" if stat.S_ISCHR(mode) else "block" if stat.S_ISBLK(mode) else "special"
    return f"is a {kind} device; expected a regular file"


def _too_large(size: int | None = None) -> DocumentError:
    size_text = f" ({size} bytes)" if size is not None else ""
    return DocumentError(f"is larger than {_CAP}{size_text}, the most tether reads of a bound file")


def _opening_error(e: OSError) -> DocumentError:
    if e.errno in {errno.ENOENT, errno.ENOTDIR}:
        return DocumentError("no such file")
    return DocumentError(f"cannot read it ({e.strerror or e})")


def _check_type(name: str, volatile: bool) -> None:
    """Refuse *name* by what ``stat`` says it is, before it is opened.

    :raises DocumentError: if it is missing or not a file that may be read.
    """
    try:
        mode = os.stat(name).st_mode
    except OSError as e:
        raise _opening_error(e) from None
    except ValueError:
        raise DocumentError("cannot read it (its name holds a NUL character)") from None
    refused = _refuse(mode, pipe=volatile)
    if refused is not None:
        raise DocumentError(refused)


def read_bytes(path: str | Path, *, bound: bool = False) -> bytes:
    """The content of a bound's file, refused by type before it is read.

    :param bound: the file is the bound itself, which may also be a pipe this process was
        handed (:func:`is_volatile`); such a file is not recorded.
    :raises DocumentError: if it is missing, not a regular file (nor such a pipe),
        unreadable, or larger than :data:`MAX_BYTES`.
    """
    name = os.fspath(path)
    volatile = is_volatile(name)
    if volatile and not bound:
        msg = "is standard input, a pipe or a /proc file; only the bound itself can be one (--lock)"
        raise DocumentError(msg)
    if not volatile:
        consult(name)
    _check_type(name, volatile)
    # O_NONBLOCK: a named pipe swapped in since the stat cannot block the open. O_NOCTTY:
    # a terminal swapped in does not become ours.
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(name, flags)
    except OSError as e:
        raise _opening_error(e) from None
    try:
        st = os.fstat(fd)
        refused = _refuse(st.st_mode, pipe=volatile)
        if refused is not None:
            raise DocumentError(refused)
        if stat.S_ISFIFO(st.st_mode):
            os.set_blocking(fd, True)
        elif st.st_size > MAX_BYTES:
            raise _too_large(st.st_size)
        return _read_all(fd, st.st_size + 1 if stat.S_ISREG(st.st_mode) else _CHUNK)
    except OSError as e:
        raise DocumentError(f"cannot read it ({e.strerror or e})") from None
    finally:
        os.close(fd)


def _read_all(fd: int, first: int) -> bytes:
    """Everything up to end of file, at most :data:`MAX_BYTES` (a file growing while it is
    read, or a pipe, can pass the size a stat gave)."""
    chunks: list[bytes] = []
    total = 0
    size = max(first, 1)
    while True:
        chunk = os.read(fd, min(size, MAX_BYTES + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_BYTES:
            raise _too_large()
        size = _CHUNK


def read_text(path: str | Path, *, bound: bool = False) -> str:
    """A bound's file as UTF-8 text (see :func:`read_bytes`).

    :raises DocumentError: as :func:`read_bytes` does, and for a binary or non-UTF-8 file.
    """
    return decode(read_bytes(path, bound=bound))


def decode(data: bytes) -> str:
    """Bytes of a bound file as UTF-8 text (a byte-order mark is dropped).

    :raises DocumentError: for a binary or non-UTF-8 file.
    """
    if b"\0" in data:
        raise DocumentError("is a binary file; expected a text lock or requirements file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DocumentError(f"is not UTF-8 text (invalid byte at offset {e.start})") from e
