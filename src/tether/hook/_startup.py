"""tether's start-up check: runs inside every start of the target's ``python``.

This file is copied into the target's site-packages as ``_tether_hook/__init__.py`` and
run by a one-line ``_tether_hook.pth`` (``import _tether_hook; _tether_hook.run()``) and,
on Python 3.15 and newer (PEP 829), by ``_tether_hook.start`` (``_tether_hook:run``). It
must work on the target's own Python (3.8 or newer) whether or not tether is importable
there, so it uses the standard library only, and little of it.

Design: correct and cheap
-------------------------
``tether site-install`` resolves the bound for this interpreter once (names, versions,
sources) and validates the environment with the full machinery (``packaging``). It
stores, in ``_tether_hook/state.marshal`` (``marshal``: built in, no import to pay),
the expectation, the result, and a *stamp* of what the result depends on: the
``(st_mtime_ns, st_ino)`` of every site directory and of the bound's files (the lock and,
for uv.lock or poetry.lock, the pyproject.toml beside it).

Every installer (pip, uv, poetry, pipenv, conda) adds, removes or replaces a
``*.dist-info`` directory when it installs, uninstalls, upgrades, downgrades or
reinstalls from another source, and that changes the site directory's mtime. So at each
start the stamp is recomputed with one ``stat()`` per site directory and one for the
lock: when it is unchanged, the stored result is still the truth and is reported as it
is (silence when valid). That is the whole clean path: a ``marshal`` load and a few
stats, no directory listing, no metadata read.

When a stamp differs, the environment is compared again here (directory listings, the
name and version in each ``.dist-info`` folder name, ``direct_url.json`` only where a
source is locked), and the new result and stamp are written back atomically
(``os.replace``; best effort, so a read-only file system only costs the recheck). Bounds
that give ranges (a pyproject) cannot be judged without ``packaging``: for them, and
when the lock file itself changed, the tether that installed the hook is run once to
re-derive the expectation (``site-install --refresh``).

What is never checked: a start of an installer or of tether itself (matched exactly:
``pip``, ``python -m pip``, ``uv``, ``poetry``, ``pipenv``, ``pdm``, ``pip-sync``,
``tether``, ...), the interpreter queries installers make (``python -I -c ...``, as
uv's), and any start with ``TETHER_SKIP=1``. These exemptions are looked at on the drift
path only.

Nothing here may raise: any failure prints one line and lets Python start.
"""

import os
import sys

__all__ = ["run"]

_done = False
HERE = os.path.dirname(os.path.abspath(__file__))
STATE = os.path.join(HERE, "state.marshal")
SKIP_VAR = "TETHER_SKIP"
STATE_VERSION = 1


def stamp(path: "str") -> "tuple[int, int, int] | None":
    """What changes when a directory's entries or a file's content are replaced."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    # A directory's size says nothing; a file's does (an edit within the same tick).
    is_dir = (st.st_mode & 0o170000) == 0o040000
    return (st.st_mtime_ns, st.st_ino, 0 if is_dir else st.st_size)


def stamps(state: "dict[str, object]") -> "tuple[object, ...]":
    """The current stamp of everything the stored result depends on."""
    # The bound's files (the lock first, then companions such as pyproject.toml), as
    # one item; then each site directory.
    files = tuple(stamp(f) for f in state["files"])
    return (files, *[stamp(site) for site in state["sites"]])


def load():
    """The stored state, or ``None`` when it cannot be read (the recheck module says why)."""
    import marshal

    try:
        with open(STATE, "rb") as f:
            state = marshal.loads(f.read())
        if isinstance(state, dict) and state.get("version") == STATE_VERSION:
            return state
        error = ValueError("unknown format")
    except (OSError, ValueError, EOFError, TypeError) as e:
        error = e
    from . import _startup_recheck

    _startup_recheck.unreadable(STATE, error)
    return None


def check():
    """The per-start check. Returns the exit code to stop with, or ``None``."""
    if os.environ.get(SKIP_VAR):
        return None
    state = load()
    if state is None:
        return None
    prefix = state["prefix"]
    if sys.prefix != prefix and os.path.realpath(sys.prefix) != os.path.realpath(prefix):
        # Another environment that sees this site-packages (a venv with system site
        # packages, when the check was installed in the base): not ours to judge.
        return None
    now = stamps(state)
    if now != tuple(state["stamps"]) or state["lines"]:
        # Something changed, or the environment had drifted: the rest lives elsewhere
        # so that the clean path compiles and runs as little as possible.
        from . import _startup_recheck

        return _startup_recheck.recheck(sys.modules[__name__], state, now)
    return None


def run():
    """Entry point for the ``.pth`` line and the PEP 829 ``.start`` file; runs once."""
    global _done
    if _done:
        return
    _done = True
    try:
        code = check()
    except Exception as e:
        try:
            sys.stderr.write(
                "tether: start-up check failed ({}: {}); Python starts anyway\n".format(type(e).__name__, e)
            )
        except Exception:
            pass
        return
    if code is not None:
        # SystemExit raised from a .pth file is a fatal error with a traceback; leave at once.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)
