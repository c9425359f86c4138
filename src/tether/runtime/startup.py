"""tether's start-up check: the part that runs at every start of the target's ``python``.

``tether site-install`` copies the runtime package into the target's site-packages as
``_tether_hook`` and byte-compiles it there with the target itself. A one-line
``_tether_hook.pth`` then runs this module's compiled code at each start *without the
import system*: it reads ``_tether_hook/__pycache__/startup.<tag>.pyc`` and executes it,
so that no directory on ``sys.path`` is listed (site-packages of a large environment
holds thousands of entries) and the cost does not depend on what is installed. When the
byte code is missing or from another Python, the line falls back to ``import``. Python
3.15 and newer (PEP 829) run ``_tether_hook.start`` (``_tether_hook.startup:run``)
instead.

The clean path is a ``marshal`` load of a few hundred bytes (``clean.marshal``, see
:func:`clean_part`: the paths to stamp, their stamps, whether the stored verdict is
valid, and what a drift report and exit mode need) and one ``stat()`` per site directory
and bound file: when every stamp is as stored and the verdict is valid, nothing else
runs; when it is drift, :mod:`.recheck` reports it from that part alone. The whole state
(``state.marshal``: the expectation, which grows with the lock) is read only when a stamp
changed.

Every installer adds, removes or replaces a ``*.dist-info`` directory when it installs,
uninstalls, upgrades, downgrades or reinstalls, which changes its site directory's
stamp; a ``git pull`` of the lock changes the lock's. Anything else is :mod:`.recheck`'s
job.

Standard library only, Python 3.8+, and nothing here may raise: a failure prints one
line and lets Python start.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List

__all__ = ["STATE_VERSION", "load", "now", "run"]

#: The layout of ``state.marshal`` (see :mod:`.state`).
STATE_VERSION = 2
SKIP_VAR = "TETHER_SKIP"
HERE = os.path.dirname(os.path.abspath(__file__))
STATE = os.path.join(HERE, "state.marshal")
#: What the clean path reads: a digest of the state (see :func:`clean_part`).
CLEAN = os.path.join(HERE, "clean.marshal")
_done = False


def stamp(path: "str") -> "Any":
    """What changes when a directory's entries or a file's content are replaced.

    ``st_ctime_ns`` is included: restoring a file's mtime after rewriting it in place
    (``touch -r``, ``cp -p``, ``rsync -t``) cannot restore its ctime. A directory's size
    says nothing and is left out. Defined here, the module every start runs, so that the
    clean path imports nothing; :mod:`.scan` and tether's caches use this one.
    """
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    is_dir = (st.st_mode & 0o170000) == 0o040000
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_ino, 0 if is_dir else st.st_size)


def now(state: "Any") -> "List[object]":
    """The current stamps of what the stored verdict depends on: the bound's files, then
    the site directories."""
    return [stamp(path) for path in state["files"]] + [stamp(site) for site in state["sites"]]


#: What a start needs of the state when nothing changed: the stamps to compare and, for a
#: drifted environment, what the report and exit mode need. Not the expectation, which
#: grows with the lock (hundreds of KB for thousands of pins).
_CLEAN_KEYS = (
    "prefix", "files", "sites", "stamps", "lines", "lock", "where", "repair", "repair_strays",
    "relock", "mode", "stale_lock", "exit_code", "exempt",
)  # fmt: skip


def clean_part(state: "Any") -> "Any":
    """The part of *state* a start reads, written beside it as ``clean.marshal``."""
    clean = {key: state.get(key) for key in _CLEAN_KEYS}
    clean["version"] = STATE_VERSION
    clean["valid"] = not state["lines"]
    return clean


def load(path: "str" = "") -> "Any":
    """The stored state, or ``None`` when there is none of this version (said on stderr)."""
    import marshal

    path = path or STATE
    try:
        with open(path, "rb") as f:
            state = marshal.loads(f.read())  # noqa: S302 - a file tether wrote
        if isinstance(state, dict) and state.get("version") == STATE_VERSION:
            return state
        error = "written by another version of tether"  # type: object
    except (OSError, ValueError, EOFError, TypeError) as e:
        error = e
    _recheck().unreadable(path, error)
    return None


def _recheck() -> "Any":
    # `from . import recheck` without the import statement's cost on the clean path; works
    # as `_tether_hook` in a target and as `tether.runtime` in tether.
    name = (__package__ or "_tether_hook") + ".recheck"
    __import__(name)
    return sys.modules[name]


def check() -> "object":
    """The per-start check. Returns the exit code to stop with, or ``None``."""
    if os.environ.get(SKIP_VAR):
        return None
    clean = load(CLEAN)
    if clean is None:
        return None
    prefix = clean["prefix"]
    if sys.prefix != prefix and os.path.realpath(sys.prefix) != os.path.realpath(prefix):
        # Another environment that sees this site-packages (a venv with system site
        # packages, when the check was installed in the base): not ours to judge.
        return None
    stamps = now(clean)
    if stamps == clean["stamps"]:
        # Nothing changed: the stored verdict stands (reported from the clean part alone
        # when it is drift, so a drifted environment's starts do not load the expectation).
        return None if clean["valid"] else _recheck().recheck(clean, stamps)
    state = load()
    if state is None:
        return None
    return _recheck().recheck(state, stamps)


def run() -> None:
    """Entry point for the ``.pth`` line and the PEP 829 ``.start`` file; runs once per start."""
    global _done
    if _done:
        return
    _done = True
    try:
        code = check()
    except BaseException as e:  # noqa: BLE001 - a start-up hook must never raise
        if isinstance(e, (SystemExit, KeyboardInterrupt)):
            return
        try:
            sys.stderr.write(
                "tether: start-up check failed ({}: {}); Python starts anyway\n".format(type(e).__name__, e)
            )
        except Exception:  # noqa: BLE001
            pass
        return
    if code is not None:
        # SystemExit raised from a .pth file is a fatal error with a traceback; leave at once.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)  # type: ignore[arg-type]
