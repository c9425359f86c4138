"""Install, refresh, inspect and remove the start-up check in a target environment.

What is written into the target's purelib (and nothing else):

- ``_tether_hook/``: a copy of the runtime package :mod:`tether.runtime`, byte-compiled
  there by the target itself (``__pycache__``); its state (``state.marshal``, see
  :mod:`tether.runtime.state`) and the part of it every start reads (``clean.marshal``,
  see :func:`tether.runtime.startup.clean_part`); and, once a start has had to run
  ``tether site-refresh``, the lock file concurrent starts take turns on
  (``refresh.lock``);
- ``_tether_hook.pth``: one ``import`` line that executes the compiled
  :mod:`tether.runtime.startup` without the import system (see its docstring);
- ``_tether_hook.start``: ``_tether_hook.startup:run``, the PEP 829 entry point that
  Python 3.15+ runs instead of the ``.pth`` import line.

Files are written atomically (a temporary ``.NAME.*.tmp`` beside each, renamed into
place). Uninstall removes exactly these, and the temporary files an interrupted install
left, so site-packages lists as it did before install. A file of those names that tether
did not write is never overwritten or removed.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import tether.runtime
from tether.errors import HookError
from tether.runtime import startup
from tether.runtime.compare import stops
from tether.runtime.scan import digest

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tether.check import Checked, CheckOptions
    from tether.runtime.state import Options, State

__all__ = [
    "DEFAULT_EXEMPT",
    "HookPaths",
    "HookStatus",
    "hook_paths",
    "install",
    "read_status",
    "refresh",
    "uninstall",
]

PTH_NAME = "_tether_hook.pth"
START_NAME = "_tether_hook.start"
PACKAGE_NAME = "_tether_hook"
START_LINE = "_tether_hook.startup:run\n"
_MARK = "# written by tether site-install; removed by tether site-uninstall\n"
#: What identifies the runtime's ``__init__.py`` (and an older tether's) as ours.
_OURS = ("tether's runtime", "tether's start-up check")

#: The ``.pth`` line's code: run the byte code of ``startup`` without the import system,
#: or import it when that byte code is missing or from another Python; never raise. The
#: line holds it compiled by the target (see :func:`pth_line`), so no start compiles it.
_LOADER = """\
try:
    try:
        import marshal, _frozen_importlib_external as e
        with open(D + "/__pycache__/startup." + sys.implementation.cache_tag + ".pyc", "rb") as f:
            b = f.read()
        if b[:4] != e.MAGIC_NUMBER:
            raise ImportError
        m = type(sys)("_tether_hook.startup")
        m.__file__, m.__package__ = D + "/startup.py", "_tether_hook"
        exec(marshal.loads(b[16:]), m.__dict__)
        sys.modules[m.__name__] = m
    except Exception:
        import _tether_hook.startup as m
    m.run()
except Exception as x:
    sys.stderr and sys.stderr.write("tether: start-up check unavailable (%r); Python starts anyway\\n" % x)
"""

#: What the line runs instead when the Python it finds is not the one that compiled the
#: loader (an upgraded venv): the import system, which compiles what it needs.
_FALLBACK = """\
try:
    import _tether_hook.startup as m
    m.run()
except Exception as x:
    sys.stderr and sys.stderr.write("tether: start-up check unavailable (%r); Python starts anyway\\n" % x)
"""

#: Programs whose start is never checked, so that the environment can be repaired.
#: Matched exactly against a script's base name (version digits stripped: ``pip3.11``)
#: or a ``-m`` module's top-level name.
DEFAULT_EXEMPT = (
    "pip",
    "uv",
    "uvx",
    "poetry",
    "pipenv",
    "pdm",
    "pip-sync",
    "pip-compile",
    "piptools",
    "tether",
    "ensurepip",
    "venv",
    "virtualenv",
    "pipx",
    "conda",
    "pixi",
    "hatch",
    "rye",
    # pip's own runner (pip install in a build environment: __pip-runner__.py).
    "__pip-runner__",
)

Mode = Literal["warn", "exit"]


def pth_line(package: Path, compiled: tuple[bytes, bytes] | None = None) -> str:
    """The ``.pth`` line for the runtime copied to *package* (ASCII, one line).

    With *compiled* (the target's ``MAGIC_NUMBER`` and the loader's code marshalled by
    the target), the line executes that code: compiling the loader's source at every
    start cost a quarter of the hook's time. The magic number guards it: another Python
    takes the short fallback instead. CPython may read a venv's ``.pth`` files twice: the
    second time stops at the ``or``.
    """
    scope = f"{{'sys': sys, 'D': {str(package)!a}}}"
    if compiled is None:
        return f"import sys; '_tether_hook.startup' in sys.modules or exec({_LOADER!a}, {scope})\n"
    magic, code = compiled
    return (
        "import sys, marshal, _frozen_importlib_external as e; '_tether_hook.startup' in sys.modules or "
        f"exec(marshal.loads({code!a}) if e.MAGIC_NUMBER == {magic!a} else {_FALLBACK!a}, {scope})\n"
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class HookPaths:
    """Where the hook's files live in one site directory."""

    site: Path

    @property
    def pth(self) -> Path:
        """The ``.pth`` file."""
        return self.site / PTH_NAME

    @property
    def start(self) -> Path:
        """The PEP 829 ``.start`` file."""
        return self.site / START_NAME

    @property
    def package(self) -> Path:
        """The runtime package directory."""
        return self.site / PACKAGE_NAME

    @property
    def state(self) -> Path:
        """The state file."""
        return self.package / "state.marshal"

    @property
    def clean(self) -> Path:
        """What the clean path reads of the state."""
        return self.package / "clean.marshal"


@dataclass(frozen=True, kw_only=True, slots=True)
class HookStatus:
    """What ``site-status`` reports."""

    installed: bool
    site: str
    lock: str = ""
    mode: str = ""
    fresh: bool = False
    lines: tuple[tuple[Any, ...], ...] = ()


def hook_paths(purelib: str) -> HookPaths:
    """The hook's paths in a purelib directory."""
    return HookPaths(site=Path(purelib))


def _ours(path: Path, expected: str | None = None) -> bool:
    """Whether a ``.pth``/``.start`` file is one tether wrote."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return text.startswith(_MARK) and (expected is None or text.endswith(expected))


def _ours_package(package: Path) -> bool:
    try:
        head = (package / "__init__.py").read_text(encoding="utf-8")[:300]
    except (OSError, UnicodeDecodeError):
        return False
    return any(mark in head for mark in _OURS)


def _check_foreign(paths: HookPaths) -> None:
    for path in (paths.pth, paths.start):
        if path.exists() and not _ours(path):
            msg = f"{path}: exists and was not written by tether; not overwriting it"
            raise HookError(msg)
    if paths.package.exists() and not (paths.package.is_dir() and _ours_package(paths.package)):
        msg = f"{paths.package}: exists and was not written by tether; not overwriting it"
        raise HookError(msg)


def _write(path: Path, data: bytes) -> None:
    """Write atomically: a temporary file beside it, then a rename (removed on failure)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _build_state(
    checked: Checked, options: Options, *, mode: Mode, stale_lock: Mode, exit_code: int, exempt: Sequence[str]
) -> State:
    from tether.sources.remote import is_remote

    bound = checked.bound
    lock_is_file = not is_remote(bound.path) and os.path.isfile(bound.path)
    return {
        "version": startup.STATE_VERSION,
        "prefix": checked.target.prefix,
        "sites": list(checked.target.sites),
        # Not resolved: a lock reached through a symlink (``current -> releases/N``) is
        # stamped through it, so switching the link is a change.
        "files": [os.path.abspath(f) for f in bound.files] if lock_is_file else [],
        "digests": [digest(os.path.abspath(f)) for f in bound.files] if lock_is_file else [],
        "lock": os.path.abspath(bound.path) if lock_is_file else bound.path,
        "where": os.path.dirname(os.path.abspath(bound.path)) if lock_is_file else "",
        "expect": checked.expect,
        "certain": checked.certain,
        "mode": mode,
        "exit_code": exit_code,
        "exempt": sorted(set(exempt)),
        "repair": bound.repair,
        "repair_strays": bound.repair_strays,
        "relock": bound.relock,
        "stale_lock": stale_lock,
        "tether": [sys.executable, "-m", "tether"],
        "options": options,
        "lines": _findings(checked),
        "stamps": [],
    }


def _findings(checked: Checked) -> list[tuple[Any, ...]]:
    return [(r.name, r.status, r.installed, r.expected, r.sites, r.detail) for r in checked.report.records]


def _precompile(python: str, package: Path) -> tuple[bytes, bytes] | None:
    """Compile the runtime with the target's own interpreter, as unchecked-hash ``.pyc``,
    and the ``.pth`` line's loader; return the target's magic number and the loader's
    marshalled code (``None`` if that failed: the line then holds the loader's source).

    The ``.pth`` line loads ``startup``'s byte code directly; the others are imported
    only when something changed. Unchecked-hash byte code loads without a source stat,
    and even where no ``.pyc`` can be written (a read-only site, or
    ``PYTHONDONTWRITEBYTECODE=1``). A failure only costs the import fallback at each start.
    """
    import subprocess

    code = (
        "import marshal, py_compile, sys, _frozen_importlib_external as e\n"
        "for f in sys.argv[2:]:\n"
        "    py_compile.compile(f, doraise=True,"
        " invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)\n"
        "loader = marshal.dumps(compile(sys.argv[1], '<tether loader>', 'exec'))\n"
        "sys.stdout.write(e.MAGIC_NUMBER.hex() + ' ' + loader.hex())\n"
    )
    files = sorted(str(p) for p in package.glob("*.py"))
    try:
        proc = subprocess.run(
            [python, "-I", "-S", "-c", code, _LOADER, *files], capture_output=True, check=False, timeout=60
        )
        magic, _, loader = proc.stdout.decode("ascii").strip().partition(" ")
        if proc.returncode == 0 and magic and loader:
            return bytes.fromhex(magic), bytes.fromhex(loader)
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError, ValueError):
        pass
    return None


def _copy_runtime(package: Path) -> None:
    source = Path(tether.runtime.__file__).parent
    package.mkdir(exist_ok=True)
    for module in sorted(source.glob("*.py")):
        _write(package / module.name, module.read_bytes())
    shutil.rmtree(package / "__pycache__", ignore_errors=True)


def _guard(checked: Checked, *, mode: Mode, stale_lock: Mode, force: bool, system: bool) -> None:
    """Refuse the installs a user almost never means."""
    target = checked.target
    if not system and not target.venv and not os.path.isdir(os.path.join(target.prefix, "conda-meta")):
        msg = (
            f"{target.executable} is not a virtual or conda environment: the check would run at "
            "every start of every program on this Python; pass --system to install it anyway"
        )
        raise HookError(msg)
    report = checked.report
    if mode == "exit" and stops((r.status for r in report.records), stale_lock) and not force:
        from tether.formats.text import plural

        fix = f" ({report.repair})" if report.repair else ""
        msg = (
            f"{target.prefix} has drifted already ({plural(len(report.records), 'finding')}): in exit "
            f"mode every start would stop; repair it first{fix}, or pass --force"
        )
        raise HookError(msg)


def install(
    options: CheckOptions,
    *,
    mode: Mode = "warn",
    stale_lock: Mode = "warn",
    exit_code: int = 1,
    exempt: Sequence[str] = DEFAULT_EXEMPT,
    force: bool = False,
    system: bool = False,
    refreshing: bool = False,
) -> tuple[Checked, HookPaths]:
    """Validate the environment and install (or refresh) the start-up check in it.

    Idempotent: running it again rewrites tether's own files only.

    :param force: overwrite files of ours that tether did not write, and install in exit
        mode in an environment that has drifted already (every start would stop).
    :param system: install into an interpreter that is not an environment of its own (a
        virtual or conda environment): its check then runs at every start of every program
        on that Python.
    :param stale_lock: whether a lock that no longer matches its project file (a
        ``stale-lock`` finding, while the environment matches the lock) stops a start in
        exit mode (``"exit"``) or is only reported (``"warn"``, the default).
    :param refreshing: re-deciding for a hook already installed (neither guard applies).
    :raises HookError: when a guard above refuses, when a file of ours would replace one
        tether did not write, or when site-packages is not writable.
    :raises TetherError: when the target or the bound cannot be read.
    """
    from tether.check import check
    from tether.sources import find_upward, is_volatile
    from tether.sources.remote import is_remote
    from tether.target import find_interpreter

    python = os.path.abspath(find_interpreter(options.python))
    lock = options.lock if options.lock is not None else str(find_upward(Path.cwd())[0])
    if not is_remote(lock):
        if is_volatile(lock):
            msg = f"{lock}: a pipe holds another bound at each read; the start-up check needs a file"
            raise HookError(msg)
        lock = os.path.abspath(lock)
    options = replace(options, python=python, lock=lock)
    checked = check(replace(options, use_cache=False))
    if not refreshing:
        _guard(checked, mode=mode, stale_lock=stale_lock, force=force, system=system)
    paths = hook_paths(checked.target.purelib)
    if not force:
        _check_foreign(paths)
    state = _build_state(
        checked, options.to_dict(), mode=mode, stale_lock=stale_lock, exit_code=exit_code, exempt=exempt
    )
    try:
        paths.site.mkdir(parents=True, exist_ok=True)
        _copy_runtime(paths.package)
        compiled = _precompile(checked.target.executable, paths.package)
        # The stamps (of the bound's files and the site directories) are taken after our
        # own writes to site-packages, which change its stamp; the .pth is written last
        # of those: the check is live only once everything it needs is in place.
        _write(paths.start, (_MARK + START_LINE).encode())
        _write(paths.pth, (_MARK + pth_line(paths.package, compiled)).encode())
        state["stamps"] = startup.now(state)
        _write(paths.state, marshal.dumps(dict(state), 2))
        _write(paths.clean, marshal.dumps(startup.clean_part(state), 2))
    except OSError as e:
        msg = f"{paths.site}: cannot write the start-up check ({e.strerror or e})"
        raise HookError(msg) from e
    return checked, paths


def _load_state(path: Path) -> State:
    try:
        state = marshal.loads(path.read_bytes())  # noqa: S302 - a file tether wrote
        if not isinstance(state, dict) or state.get("version") != startup.STATE_VERSION:
            raise ValueError("written by another version of tether")
    except (OSError, ValueError, EOFError, TypeError) as e:
        msg = f"{path}: unreadable ({e}); run `tether site-install` again"
        raise HookError(msg) from e
    return state  # type: ignore[return-value]


def refresh(state_path: str) -> Checked:
    """Decide again for an installed hook, with the options it was installed with (run
    by the hook when the bound changed, or when the runtime cannot judge alone).

    :raises HookError: when the state cannot be read or written.
    :raises TetherError: when the target or the bound cannot be read.
    """
    from tether.check import CheckOptions

    state = _load_state(Path(state_path))
    checked, _ = install(
        CheckOptions.from_dict(state["options"]),
        mode="exit" if state["mode"] == "exit" else "warn",
        stale_lock="exit" if state.get("stale_lock") == "exit" else "warn",
        exit_code=state["exit_code"],
        exempt=state["exempt"],
        refreshing=True,
    )
    return checked


def uninstall(purelib: str) -> list[Path]:
    """Remove everything :func:`install` wrote; return what was removed.

    Everything is checked before anything is removed, so a foreign file stops the
    uninstall before it starts, never half way.

    :raises HookError: when a file of ours has been replaced by a foreign one.
    """
    paths = hook_paths(purelib)
    for path in (paths.pth, paths.start):
        if path.exists() and not _ours(path):
            msg = f"{path}: was not written by tether; leaving everything in place"
            raise HookError(msg)
    if paths.package.exists() and not (paths.package.is_dir() and _ours_package(paths.package)):
        msg = f"{paths.package}: was not written by tether; leaving everything in place"
        raise HookError(msg)
    removed: list[Path] = []
    try:
        # The .pth first: from then on no start runs the check.
        for path in (paths.pth, paths.start):
            if path.exists():
                path.unlink()
                removed.append(path)
        if paths.package.is_dir():
            shutil.rmtree(paths.package)
            removed.append(paths.package)
        for leftover in paths.site.glob(f".{PTH_NAME}.*.tmp"):
            leftover.unlink()
        for leftover in paths.site.glob(f".{START_NAME}.*.tmp"):
            leftover.unlink()
    except OSError as e:
        msg = f"{paths.site}: cannot remove the start-up check ({e.strerror or e})"
        raise HookError(msg) from e
    return removed


def read_status(purelib: str) -> HookStatus:
    """Whether the check is installed, against what, and what it last found.

    :raises HookError: when its state cannot be read.
    """
    paths = hook_paths(purelib)
    if not paths.pth.exists() or not paths.state.exists():
        return HookStatus(installed=False, site=purelib)
    state = _load_state(paths.state)
    fresh = startup.now(state) == state["stamps"]
    return HookStatus(
        installed=True,
        site=purelib,
        lock=state["lock"],
        mode=state["mode"],
        fresh=fresh,
        lines=tuple(tuple(line) for line in state["lines"]),
    )
