"""Remember results, keyed by everything they depend on: ``tether validate`` reports,
and what a target interpreter said of itself.

A repeated ``tether validate`` on an unchanged environment is answered from here without
importing ``packaging`` or starting the target interpreter: about the cost of starting
Python. Nothing can go stale silently, because an entry is used only when

- the command line, working directory and the environment variables that choose the
  target (``VIRTUAL_ENV``, ``PATH``, ``PYTHONNOUSERSITE``, ``HOME``) are the same, and
- every file and directory the result was computed from has the same stamp
  (``st_mtime_ns``, ``st_ino``, and size for files, as the start-up hook compares them):
  each site directory (any install, uninstall or reinstall replaces a ``.dist-info``
  in it), the target's executable and ``pyvenv.cfg``, every bound file read (nested
  ``-r`` files and companion ``pyproject.toml`` included), the directory a bound was
  auto-detected in, and tether's own modules; a companion file a reader looked for and
  did not find is stamped as absent, so creating it is a change;
- every environment variable the bound's reading expanded (``${VAR}`` in a requirements
  file) has the same value (or is still unset). A bound read from a pipe (``--lock
  /dev/stdin``) is never answered from here.

What an interpreter reports (site directories, marker environment) is kept the way uv
keeps it: keyed by the executable, the stamps of the binary it resolves to and of its
``pyvenv.cfg``, the kernel (``os.uname()``, which two markers read) and the variables
that move the user site.

``--no-cache`` (or ``TETHER_NO_CACHE=1``) bypasses both. Entries live in
``$TETHER_CACHE_DIR``, else ``$XDG_CACHE_HOME/tether``, else ``~/.cache/tether``, written
atomically; a cache that cannot be written is simply not used. Bounds from a URL or a
git repository are never cached.
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib

from tether import __version__
from tether.runtime.scan import digest, stamp

# Not typing.TYPE_CHECKING: importing typing costs ~10 ms on the cached path, and
# type checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["get", "lookup", "put", "store"]

_VERSION = 1
#: Stamp items whose "path" starts with a NUL character, which no path holds, are not
#: files: ``ENVIRON + NAME`` records an environment variable's value (``None``: unset);
#: :data:`VOLATILE` never holds.
ENVIRON = "\0env:"
VOLATILE: tuple[str, object] = ("\0volatile", True)
_ENV_KEYS = (
    "VIRTUAL_ENV", "PATH", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "HOME", "NO_COLOR", "FORCE_COLOR", "TERM",
    # tether.config.ENV_VARS (not imported: this module is on the cached path).
    "TETHER_LOCK", "TETHER_IGNORE", "TETHER_GROUPS", "TETHER_EXTRAS", "TETHER_ON_DRIFT", "TETHER_EXEMPT",
)  # fmt: skip


def _dir() -> str:
    explicit = os.environ.get("TETHER_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tether")


def _code_stamp() -> int:
    """The newest modification of tether's own modules: an edited tether (an editable
    install) must not answer with what the old code computed."""
    newest = 0
    pending = [os.path.dirname(os.path.abspath(__file__))]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.name.endswith(".py"):
                    newest = max(newest, entry.stat().st_mtime_ns)
                elif entry.is_dir() and entry.name != "__pycache__":
                    pending.append(entry.path)
    return newest


def key(argv: Sequence[str]) -> tuple[object, ...]:
    """The key of everything a command line's answer depends on besides stamped files."""
    return (
        _VERSION,
        __version__,
        sys.executable,
        _code_stamp(),
        tuple(argv),
        os.getcwd(),
        tuple(os.environ.get(k) for k in _ENV_KEYS),
        sys.stdout.isatty(),
    )


def _path(kind: str, key: tuple[object, ...]) -> str:
    # The full key is stored in the entry and compared, so a crc32 collision is harmless.
    digest = zlib.crc32(repr(key).encode("utf-8", "surrogateescape"))
    return os.path.join(_dir(), f"{kind}-{digest:08x}.marshal")


def enabled(argv: Sequence[str] = ()) -> bool:
    """Whether this command line may use the cache."""
    return "--no-cache" not in argv and not os.environ.get("TETHER_NO_CACHE")


def get_entry(kind: str, key: tuple[object, ...]) -> tuple[object, list[tuple[str, object]]] | None:
    """The value stored under *key* and its stamps, if every stamp still holds.

    A file recorded with a digest (:func:`take_stamps`) whose stamp changed still holds
    when its content did not; the entry is then stored again with the new stamp.
    """
    try:
        with open(_path(kind, key), "rb") as f:
            entry = marshal.loads(f.read())  # noqa: S302 - a file tether wrote for itself
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    stamps: list[tuple[str, object]] = []
    restamped = False
    for item in entry["stamps"]:
        path, recorded = item[0], item[1]
        now = _now(path)
        if now != recorded:
            if len(item) < 3 or item[2] is None or now is None or digest(path) != item[2]:
                return None
            restamped = True
            item = (path, now, item[2])
        stamps.append(tuple(item))
    if restamped:
        put(kind, key, stamps, entry["value"])
    return entry["value"], stamps


def get(kind: str, key: tuple[object, ...]) -> object | None:
    """The value stored under *key*, if every stamp recorded with it still holds."""
    entry = get_entry(kind, key)
    return None if entry is None else entry[0]


def put(kind: str, key: tuple[object, ...], stamps: list[tuple[str, object]], value: object) -> None:
    """Store *value* under *key* with the stamps it depends on; failures are ignored."""
    path = _path(kind, key)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(marshal.dumps({"key": key, "stamps": stamps, "value": value}))
        os.replace(tmp, path)
    except (OSError, ValueError):
        try:  # noqa: SIM105 - contextlib is one more import on a path kept minimal
            os.unlink(tmp)
        except OSError:
            pass


def lookup(argv: Sequence[str]) -> tuple[str, str, int] | None:
    """The stored ``(stdout, stderr, exit code)`` of this ``validate`` command, if still true."""
    value = get("validate", key(argv))
    return value if isinstance(value, tuple) and len(value) == 3 else None


def take_stamps(paths: Iterable[str], *, digests: bool = False) -> list[tuple[str, object]]:
    """Stamp *paths* now (take them before reading what they hold); with *digests*, also
    keep each file's content digest (see :func:`get_entry`)."""
    if not digests:
        return [(p, stamp(p)) for p in dict.fromkeys(paths)]
    return [(p, stamp(p), digest(p)) for p in dict.fromkeys(paths)]  # type: ignore[misc]


def _now(path: str) -> object:
    """The current stamp of a stamp item's path (see :data:`ENVIRON`)."""
    if path[:1] == "\0":
        return os.environ.get(path[len(ENVIRON) :]) if path.startswith(ENVIRON) else None
    return stamp(path)


def environ_stamps(environ: Iterable[tuple[str, str | None]]) -> list[tuple[str, object]]:
    """Stamp items for environment variables and the values an answer was computed with."""
    return [(ENVIRON + name, value) for name, value in environ]


def store(argv: Sequence[str], stamps: list[tuple[str, object]], out: str, err: str, code: int) -> None:
    """Remember the output, messages and exit code of a ``validate`` command."""
    put("validate", key(argv), stamps, (out, err, code))
