"""Install, refresh, inspect and remove the start-up check in a target environment.

What is written into the target's purelib (and nothing else):

- ``_tether_hook.pth``: ``import _tether_hook; _tether_hook.run()`` (one line, UTF-8);
- ``_tether_hook.start``: ``_tether_hook:run``, the PEP 829 entry point that Python 3.15+
  runs instead of the ``.pth`` import line;
- ``_tether_hook/``: the runtime (``__init__.py``, a copy of :mod:`tether.hook._startup`),
  its state (``state.marshal``) and what Python caches there (``__pycache__``).

Uninstall removes exactly these, so site-packages lists as it did before install. A file
of those names that tether did not write is never overwritten or removed.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tether.errors import HookError
from tether.hook import _startup

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tether.check import Checked, CheckOptions
    from tether.models import Record

__all__ = [
    "DEFAULT_EXEMPT",
    "HookStatus",
    "hook_paths",
    "install",
    "read_status",
    "uninstall",
]

PTH_NAME = "_tether_hook.pth"
START_NAME = "_tether_hook.start"
PACKAGE_NAME = "_tether_hook"
PTH_LINE = "import _tether_hook; _tether_hook.run()\n"
START_LINE = "_tether_hook:run\n"
_MARK = "# written by tether site-install; removed by tether site-uninstall\n"

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
)

Mode = Literal["warn", "exit"]


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


@dataclass(frozen=True, kw_only=True, slots=True)
class HookStatus:
    """What ``site-status`` reports."""

    installed: bool
    site: str
    lock: str = ""
    mode: str = ""
    fresh: bool = False
    lines: tuple[tuple[str, str, str | None, str | None], ...] = ()


def hook_paths(purelib: str) -> HookPaths:
    """The hook's paths in a purelib directory."""
    return HookPaths(site=Path(purelib))


def _ours(path: Path, expected: str) -> bool:
    try:
        return path.read_text(encoding="utf-8").endswith(expected)
    except (OSError, UnicodeDecodeError):
        return False


def _check_foreign(paths: HookPaths) -> None:
    for path, line in ((paths.pth, PTH_LINE), (paths.start, START_LINE)):
        if path.exists() and not _ours(path, line):
            msg = f"{path}: exists and was not written by tether; not overwriting it"
            raise HookError(msg)
    init = paths.package / "__init__.py"
    if paths.package.exists() and not (paths.package.is_dir() and _ours_module(init)):
        msg = f"{paths.package}: exists and was not written by tether; not overwriting it"
        raise HookError(msg)


def _ours_module(init: Path) -> bool:
    try:
        return "tether's start-up check" in init.read_text(encoding="utf-8")[:200]
    except (OSError, UnicodeDecodeError):
        return False


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _lines(records: Sequence[Record]) -> list[tuple[str, str, str | None, str | None]]:
    return [(r.name, r.status, r.installed, r.expected) for r in records]


def _build_state(
    checked: Checked,
    options: CheckOptions,
    *,
    mode: Mode,
    exit_code: int,
    exempt: Sequence[str],
    refresh: list[str],
) -> dict[str, Any]:
    bound = checked.bound
    target = checked.target
    expected: dict[str, tuple[str | None, tuple[str | bool, ...] | None]] = {}
    for exp in bound.expectations:
        specs = list(exp.specifier)
        version = specs[0].version if len(specs) == 1 and specs[0].operator in {"==", "==="} else None
        expected[exp.name] = (version, exp.source.hook_key() if exp.source is not None else None)
    optional = set(bound.tolerated | bound.allowed)
    if bound.follow == "allow":
        # What the pins require may be there, at any version (pip installs it).
        from tether.installed import scan
        from tether.validate import expand_closure

        dists = scan(target.sites, with_requires=True).dists
        winners = {d.name: d for d in reversed(dists)}
        optional |= set(expand_closure({e.name: e for e in bound.expectations}, winners, target.markers))
    from tether.sources.remote import is_remote

    lock_is_file = not is_remote(bound.path) and Path(bound.path).is_file()
    return {
        "version": _startup.STATE_VERSION,
        "lock": str(Path(bound.path).resolve()) if lock_is_file else bound.path,
        "lock_is_file": lock_is_file,
        "files": [str(Path(f).resolve()) for f in bound.files] if lock_is_file else [],
        "prefix": target.prefix,
        "sites": list(target.sites),
        "expected": expected,
        "optional": sorted(optional - set(expected)),
        "ignored": sorted(options.ignore),
        "superset": options.superset,
        "subset": options.subset,
        # Ranges (a pyproject) need packaging to judge: the hook asks tether on a change.
        "delegate": bound.follow == "check",
        "mode": mode,
        "exit_code": exit_code,
        "exempt": sorted(exempt),
        "repair": bound.repair,
        "refresh": refresh,
        "lines": _lines(checked.report.records),
        "stamps": [],
    }


def _precompile(python: str, package: Path) -> None:
    """Compile the runtime with the target's own interpreter, as unchecked-hash ``.pyc``.

    Starts then load byte code even where no ``.pyc`` can be written (a read-only site,
    or ``PYTHONDONTWRITEBYTECODE=1``, common in containers), and without a source stat.
    A failure only costs compile time at each start.
    """
    import subprocess

    code = (
        "import py_compile, sys\n"
        "for f in sys.argv[1:]:\n"
        "    py_compile.compile(f, doraise=True,"
        " invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)\n"
    )
    files = [str(package / "__init__.py"), str(package / "_startup_recheck.py")]
    # Without byte code each start compiles the small runtime instead: not an error.
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run([python, "-I", "-S", "-c", code, *files], capture_output=True, check=False, timeout=60)


def install(
    options: CheckOptions,
    *,
    mode: Mode = "warn",
    exit_code: int = 1,
    exempt: Sequence[str] = DEFAULT_EXEMPT,
    force: bool = False,
    refresh_args: Sequence[str] = (),
) -> tuple[Checked, HookPaths]:
    """Validate the environment and install (or refresh) the start-up check in it.

    Idempotent: running it again rewrites tether's own files only.

    :param refresh_args: the ``site-install`` options, re-run by the hook when the lock
        file changes.
    :raises HookError: when a file of ours would replace one tether did not write, or
        site-packages is not writable.
    :raises TetherError: when the target or the bound cannot be read.
    """
    from tether.check import check

    checked = check(options)
    paths = hook_paths(checked.target.purelib)
    if not force:
        _check_foreign(paths)
    refresh = [sys.executable, "-m", "tether", "site-install", "--quiet", *refresh_args]
    state = _build_state(checked, options, mode=mode, exit_code=exit_code, exempt=exempt, refresh=refresh)
    try:
        paths.site.mkdir(parents=True, exist_ok=True)
        paths.package.mkdir(exist_ok=True)
        _write(paths.package / "__init__.py", Path(_startup.__file__).read_bytes())
        recheck_src = Path(_startup.__file__).with_name("_startup_recheck.py")
        _write(paths.package / "_startup_recheck.py", recheck_src.read_bytes())
        _precompile(checked.target.executable, paths.package)
        # The stamp is taken after our own writes, the .pth last of all: the check is
        # live only once everything it needs is in place.
        _write(paths.start, (_MARK + START_LINE).encode())
        _write(paths.pth, (_MARK + PTH_LINE).encode())
        state["stamps"] = list(_startup.stamps(state))
        _write(paths.state, marshal.dumps(state, 2))
    except OSError as e:
        msg = f"{paths.site}: cannot write the start-up check ({e.strerror or e})"
        raise HookError(msg) from e
    return checked, paths


def uninstall(purelib: str) -> list[Path]:
    """Remove everything :func:`install` wrote; return what was removed.

    :raises HookError: when a file of ours has been replaced by a foreign one.
    """
    paths = hook_paths(purelib)
    removed: list[Path] = []
    for path, line in ((paths.pth, PTH_LINE), (paths.start, START_LINE)):
        if path.exists():
            if not _ours(path, line):
                msg = f"{path}: was not written by tether; leaving it"
                raise HookError(msg)
            path.unlink()
            removed.append(path)
    if paths.package.is_dir():
        if not _ours_module(paths.package / "__init__.py"):
            msg = f"{paths.package}: was not written by tether; leaving it"
            raise HookError(msg)
        shutil.rmtree(paths.package)
        removed.append(paths.package)
    return removed


def read_status(purelib: str) -> HookStatus:
    """Whether the check is installed, against what, and what it last found."""
    paths = hook_paths(purelib)
    if not paths.pth.exists() or not paths.state.exists():
        return HookStatus(installed=False, site=purelib)
    try:
        state = marshal.loads(paths.state.read_bytes())  # noqa: S302 - a file tether wrote
        if not isinstance(state, dict) or state.get("version") != _startup.STATE_VERSION:
            raise ValueError("written by another version of tether")
    except (OSError, ValueError, EOFError, TypeError) as e:
        msg = f"{paths.state}: unreadable ({e}); run `tether site-install` again"
        raise HookError(msg) from e
    fresh = tuple(_startup.stamps(state)) == tuple(state["stamps"])
    return HookStatus(
        installed=True,
        site=purelib,
        lock=state["lock"],
        mode=state["mode"],
        fresh=fresh,
        lines=tuple(tuple(line) for line in state["lines"]),
    )
