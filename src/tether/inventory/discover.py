"""Find the Python environments under some roots, and read each one, without running any
file found on disk.

An environment is known by its markers: a ``pyvenv.cfg`` (a venv: its ``home``,
``version``/``version_info`` and ``include-system-site-packages`` are read, as ``site``
reads them), a ``conda-meta/`` folder (a conda environment: its JSON records are read),
or ``lib/pythonX.Y/site-packages`` (or Debian's ``dist-packages``) under a prefix with
neither (an interpreter's own prefix: pyenv's versions, ``/usr/local``). The Python
version comes from ``pyvenv.cfg``, conda's record of ``python``, or the ``pythonX.Y``
folder's name: a file named ``python*`` is never executed (fetter runs every one it
finds, so a planted ``~/x/python3.99`` runs too).

The walk lists directories with :func:`os.scandir` in a pool of threads (the time goes
to system calls, which release the GIL), does not follow symbolic links to directories
(so a link loop, or a link to ``/``, cannot make it endless), does not descend into a venv
or conda environment (except a conda base's ``envs/``) nor into folders that cannot
hold one (:data:`PRUNED_NAMES`, the ``lib``, ``bin``, ``include`` of an interpreter's
prefix), and reports what it may not list as a warning. There
is no cache: every run reads the disk as it is now.
"""

from __future__ import annotations

import os
import queue
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tether.errors import TetherError
from tether.installed import scan as scan_sites
from tether.inventory.models import CondaRecord, Distribution, Environment, Inventory, Kind
from tether.runtime.metadata import describe, open_regular
from tether.runtime.scan import MAX_BYTES

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["PRUNED_NAMES", "default_roots", "discover", "environment_at", "read_environment", "walk"]

#: Folders never descended into: they cannot hold an environment (or hold only what a
#: tool would rebuild), and some hold hundreds of thousands of files.
PRUNED_NAMES = frozenset(
    {
        "node_modules",
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        "site-packages",
        "dist-packages",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".npm",
    }
)
#: The parts of an interpreter's prefix that hold no other environment.
_PREFIX_PARTS = frozenset({"bin", "include", "lib", "lib64", "libexec"})
#: Absolute paths never descended into when a root holds them (pseudo file systems).
PRUNED_PATHS = frozenset({"/proc", "/sys", "/dev", "/run"})
#: ``pythonX.Y`` (``t`` for a free-threaded build) under ``lib/``.
_PYTHON_LIB = re.compile(r"python(\d+\.\d+)t?")
_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?")
_WORKERS = min(32, 4 * (os.cpu_count() or 1))
_METADATA_DIRS = (".dist-info", ".egg-info")
#: The most of a ``pyvenv.cfg`` or ``INSTALLER`` read (they are a few lines).
_SMALL = 1 << 16


def _home() -> str:
    return os.path.expanduser("~")


def _env_dir(variable: str, *default: str) -> str:
    value = os.environ.get(variable)
    return value if value else os.path.join(_home(), *default)


def default_roots() -> tuple[list[str], list[str]]:
    """The roots walked by default, and the prefixes looked at (not walked) by default.

    Walked: the home directory, pyenv's root (``PYENV_ROOT``), pipx's and uv's tool
    directories, pipenv's (``WORKON_HOME``) and poetry's virtualenv folders, and every
    environment in conda's ``~/.conda/environments.txt``. Looked at: ``/usr`` and
    ``/usr/local`` (walking them would read the whole system for two prefixes).
    """
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(_home(), ".local", "share")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(_home(), ".cache")
    walked = [
        _home(),
        _env_dir("PYENV_ROOT", ".pyenv"),
        _env_dir("PIPX_HOME", ".local", "pipx"),
        os.path.join(data, "pipx"),
        os.environ.get("UV_TOOL_DIR") or os.path.join(data, "uv", "tools"),
        os.environ.get("WORKON_HOME") or os.path.join(data, "virtualenvs"),
        os.environ.get("POETRY_VIRTUALENVS_PATH") or os.path.join(cache, "pypoetry", "virtualenvs"),
    ]
    try:
        with open_regular(os.path.join(_home(), ".conda", "environments.txt")) as f:
            text = f.read(MAX_BYTES).decode("utf-8", "replace")
        walked += [line.strip() for line in text.splitlines() if line.strip().startswith("/")]
    except OSError:
        pass
    return [r for r in walked if os.path.isdir(r)], [p for p in ("/usr", "/usr/local") if os.path.isdir(p)]


def _pruned_in_home() -> frozenset[str]:
    """Folders of the home directory not walked by default: caches and the trash (a
    cache holds unpacked wheels and build environments by the thousand; the tools whose
    environments live in one, poetry, are roots of their own)."""
    home = os.path.realpath(_home())
    return frozenset({os.path.join(home, ".cache"), os.path.join(home, ".local", "share", "Trash")})


def _python_libs(prefix: str) -> list[tuple[str, str]]:
    """``(X.Y, lib/pythonX.Y)`` for each such folder of *prefix*, sorted."""
    lib = os.path.join(prefix, "lib")
    try:
        names = os.listdir(lib)
    except (OSError, ValueError):
        return []
    found = []
    for name in names:
        match = _PYTHON_LIB.fullmatch(name)
        if match:
            found.append((match.group(1), os.path.join(lib, name)))
    return sorted(found, key=lambda item: [int(part) for part in item[0].split(".")])


def _site_dirs(prefix: str, kind: Kind) -> list[str]:
    """The site directories of *prefix*: ``lib/pythonX.Y/site-packages`` and, for an
    interpreter's own prefix, Debian's ``dist-packages`` (``lib/pythonX.Y/`` and the
    ``lib/python3/`` that every Python 3 of the distribution shares)."""
    names = ("site-packages",) if kind in ("venv", "conda") else ("site-packages", "dist-packages")
    sites = [
        os.path.join(lib, name)
        for _, lib in _python_libs(prefix)
        for name in names
        if os.path.isdir(os.path.join(lib, name))
    ]
    shared = os.path.join(prefix, "lib", "python3", "dist-packages")
    if kind == "base" and os.path.isdir(shared):
        sites.append(shared)
    return sites


def _base_sites(base: str, minor: str) -> list[str]:
    """The site directories of the interpreter at *base* that a venv of Python *minor*
    made with ``--system-site-packages`` imports from."""
    lib = os.path.join(base, "lib")
    candidates = [os.path.join(lib, f"python{minor}", n) for n in ("site-packages", "dist-packages")]
    candidates.append(os.path.join(lib, "python3", "dist-packages"))
    return [c for c in candidates if os.path.isdir(c)]


def _outermost(roots: Sequence[str], pruned: frozenset[str]) -> list[str]:
    """*roots* (real paths) without those another root's walk reaches anyway (inside it,
    and not inside a folder that walk prunes)."""

    def within(path: str, folder: str) -> bool:
        return path == folder or path.startswith(folder.rstrip("/") + "/")

    kept = []
    for root in dict.fromkeys(roots):
        covered = any(
            other != root and within(root, other) and not any(within(root, p) for p in pruned)
            for other in roots
        )
        if not covered:
            kept.append(root)
    return kept


def _is_dir(entry: os.DirEntry[str] | None, *, follow: bool = False) -> bool:
    if entry is None:
        return False
    try:
        return entry.is_dir(follow_symlinks=follow)
    except OSError:
        return False


def _kind(path: str, entries: dict[str, os.DirEntry[str]], user_base: str) -> Kind | None:
    """What environment *path* is (its listing is *entries*), if any."""
    if "pyvenv.cfg" in entries:
        return "venv"
    if _is_dir(entries.get("conda-meta"), follow=True):
        return "conda"
    if _is_dir(entries.get("lib"), follow=True) and _site_dirs(path, "base"):
        return "user" if path == user_base else "base"
    return None


def _user_base() -> str:
    """The user site's base (``PYTHONUSERBASE``, else ``~/.local``), a real path."""
    return os.path.realpath(os.environ.get("PYTHONUSERBASE") or os.path.join(_home(), ".local"))


@dataclass(frozen=True)
class _Visit:
    found: tuple[str, Kind] | None = None
    subdirs: tuple[str, ...] = ()
    warning: str | None = None


def _visit(path: str, pruned: frozenset[str], user_base: str) -> _Visit:
    """One directory: an environment, or the subdirectories to look into next."""
    try:
        with os.scandir(path) as listing:
            entries = {e.name: e for e in listing}
    except OSError as e:
        return _Visit(warning=f"{path}: cannot list ({e.strerror or e})")
    kind = _kind(path, entries, user_base)
    if kind in ("venv", "conda"):
        # A conda base holds its environments in envs/ (and unpacked packages in pkgs/,
        # each with a lib/pythonX.Y of its own: not environments).
        nested = ("envs",) if kind == "conda" and _is_dir(entries.get("envs")) else ()
        return _Visit(found=(path, kind), subdirs=tuple(os.path.join(path, n) for n in nested))
    # An interpreter's prefix may hold more than itself: pyenv-virtualenv's envs/, or, for
    # the user base ~/.local, pipx's and uv's tools in share/ (and a home directory may
    # be a prefix itself, after `pip install --prefix ~`).
    skip = _PREFIX_PARTS if kind is not None else frozenset()
    subdirs = tuple(
        e.path
        for name, e in entries.items()
        if name not in PRUNED_NAMES and name not in skip and _is_dir(e) and e.path not in pruned
    )
    return _Visit(found=None if kind is None else (path, kind), subdirs=subdirs)


class Progress:
    """A one-line count on stderr while a scan runs, on a terminal only."""

    def __init__(self, enabled: bool) -> None:
        """:param enabled: write at all (the caller checks that stderr is a terminal)."""
        self.enabled = enabled
        self._last = 0.0

    def update(self, directories: int, environments: int, *, final: bool = False) -> None:
        """Say how far the walk is, at most ten times a second (and clear it when *final*)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if final:
            sys.stderr.write("\r\033[K")
        elif now - self._last >= 0.1:
            self._last = now
            sys.stderr.write(f"\rtether: {directories} directories, {environments} environments\033[K")
        sys.stderr.flush()


@dataclass
class _Walk:
    pruned: frozenset[str]
    user_base: str
    progress: Progress
    roots: frozenset[str]
    found: dict[str, Kind] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    visited: int = 0


def _worker(todo: queue.SimpleQueue[str | None], done: queue.SimpleQueue[_Visit], state: _Walk) -> None:
    """Visit directories from *todo* until it hands out ``None``."""
    while True:
        path = todo.get()
        if path is None:
            return
        try:
            done.put(_visit(path, state.pruned - state.roots if path in state.roots else state.pruned,
                            state.user_base))  # fmt: skip
        except Exception as e:  # noqa: BLE001 - the coordinator must hear of it, or it waits forever
            done.put(_Visit(warning=f"{path}: not walked ({type(e).__name__}: {e})"))


def walk(
    roots: Iterable[str], *, pruned: frozenset[str] = frozenset(), progress: Progress | None = None
) -> tuple[dict[str, Kind], list[str]]:
    """The environments under *roots* (prefix to kind), and warnings.

    Worker threads take directories from one queue and put what they saw on another;
    this thread alone keeps the count of directories not yet visited (so each one costs
    two queue operations, whatever the width of the tree), and stops the workers at 0.

    :param pruned: absolute paths not descended into (besides :data:`PRUNED_PATHS`),
        unless one is a root itself.
    """
    roots = tuple(roots)
    state = _Walk(pruned | PRUNED_PATHS, _user_base(), progress or Progress(False), frozenset(roots))
    todo: queue.SimpleQueue[str | None] = queue.SimpleQueue()
    done: queue.SimpleQueue[_Visit] = queue.SimpleQueue()
    workers = [
        threading.Thread(target=_worker, args=(todo, done, state), name="tether-walk", daemon=True)
        for _ in range(_WORKERS)
    ]
    for worker in workers:
        worker.start()
    for root in roots:
        todo.put(root)
    outstanding = len(roots)
    while outstanding:
        visit = done.get()
        outstanding += len(visit.subdirs) - 1
        for path in visit.subdirs:
            todo.put(path)
        state.visited += 1
        if visit.warning is not None:
            state.warnings.append(visit.warning)
        if visit.found is not None:
            state.found.setdefault(*visit.found)
        state.progress.update(state.visited, len(state.found))
    for _ in workers:
        todo.put(None)
    for worker in workers:
        worker.join()
    state.progress.update(state.visited, len(state.found), final=True)
    return state.found, sorted(state.warnings)


def _read_small(path: str) -> str:
    """The start of a small text file (pyvenv.cfg, INSTALLER), decoded leniently.

    :raises OSError: when it is not a regular file or cannot be read.
    """
    with open_regular(path) as f:
        return f.read(_SMALL).decode("utf-8", "replace")


@dataclass(frozen=True)
class _Config:
    """What a ``pyvenv.cfg`` says."""

    home: str | None = None
    version: str = ""
    system_site_packages: bool = False
    problems: tuple[str, ...] = ()


def _read_pyvenv_cfg(prefix: str) -> _Config:
    """``home``, the version and ``include-system-site-packages``, as ``site.venv()``
    reads them: ``key = value`` lines, keys lower-cased, other lines ignored."""
    path = os.path.join(prefix, "pyvenv.cfg")
    try:
        text = _read_small(path)
    except OSError as e:
        return _Config(problems=(f"{path}: cannot read ({e.strerror or e})",))
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values.setdefault(key.strip().lower(), value.strip())
    problems = []
    home = values.get("home") or None
    if home is None:
        problems.append(f"{path}: no 'home' key (not a venv's configuration?)")
    match = _VERSION.match(values.get("version") or values.get("version_info") or "")
    system = values.get("include-system-site-packages", "false").lower() == "true"
    return _Config(home, match.group(0) if match else "", system, tuple(problems))


def _read_conda(prefix: str) -> tuple[list[CondaRecord], list[str]]:
    """A conda environment's ``conda-meta/*.json`` records, and the ones it could not read."""
    import json

    meta = os.path.join(prefix, "conda-meta")
    try:
        names = sorted(n for n in os.listdir(meta) if n.endswith(".json"))
    except (OSError, ValueError) as e:
        return [], [f"{meta}: cannot list ({e})"]
    records, problems = [], []
    for name in names:
        path = os.path.join(meta, name)
        try:
            with open_regular(path) as f:
                raw = f.read(MAX_BYTES + 1)
            if len(raw) > MAX_BYTES:
                problems.append(f"{path}: not read (larger than {MAX_BYTES >> 20} MiB)")
                continue
            data = json.loads(raw.decode("utf-8"))
            files = data.get("files") or []
            if not isinstance(data["name"], str) or not isinstance(data["version"], str):
                msg = "'name' and 'version' must be strings"
                raise TypeError(msg)
            record = CondaRecord(
                name=data["name"],
                version=data["version"],
                build=str(data.get("build", "")),
                path=path,
                files=tuple(f for f in files if isinstance(f, str)),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
            problems.append(f"{path}: not a conda record ({type(e).__name__}: {e})")
            continue
        records.append(record)
    return records, problems


def _installer(dist_path: str, conda_owned: frozenset[str]) -> str:
    """The ``INSTALLER`` of a distribution (its first line), else ``conda`` if a conda
    record lists its metadata, else ``""``."""
    try:
        lines = _read_small(os.path.join(dist_path, "INSTALLER")).splitlines()
    except (OSError, ValueError):
        lines = []
    if lines and lines[0].strip():
        return lines[0].strip()
    return "conda" if dist_path in conda_owned else ""


def _distributions(sites: Sequence[str], conda: Sequence[CondaRecord], prefix: str) -> tuple[
    tuple[Distribution, ...], list[str]
]:  # fmt: skip
    installed = scan_sites(sites)
    owned = frozenset(
        os.path.join(prefix, os.path.dirname(f)) for r in conda for f in r.files if f.endswith("/METADATA")
    )
    dists = tuple(
        Distribution(
            name=d.name,
            version=d.version,
            # No stat first: a legacy .egg-info file has no INSTALLER beside it either.
            installer=_installer(d.path, owned) if d.path.endswith(_METADATA_DIRS) else "",
            site=d.site,
            path=d.path,
            source=describe(d.source) if d.source and d.source[0] != "unreadable" else "",
            problem=d.problem,
        )
        for d in installed.dists
    )
    leftovers = [f"{x.path}: left behind by an interrupted uninstall or upgrade" for x in installed.leftovers]
    return dists, leftovers


def _version_from(prefix: str, kind: Kind, config: _Config, conda: Sequence[CondaRecord]) -> str:
    if config.version:
        return config.version
    for record in conda:
        if record.name == "python" and _VERSION.match(record.version):
            return record.version
    libs = _python_libs(prefix)
    return libs[-1][0] if libs and kind != "user" else ""


def read_environment(prefix: str, kind: Kind, *, inherited_only: bool = False) -> Environment:
    """Read the environment at *prefix* (a real path) for its version, sites and
    distributions. What is broken is recorded on it, never raised.

    :param inherited_only: see :attr:`Environment.inherited_only`.
    """
    config = _read_pyvenv_cfg(prefix) if kind == "venv" else _Config()
    conda, problems = _read_conda(prefix) if kind == "conda" else ([], [])
    version = _version_from(prefix, kind, config, conda)
    base = _canonical(os.path.realpath(os.path.dirname(config.home))) if config.home else None
    sites = _site_dirs(prefix, kind)
    inherited: list[str] = []
    if config.system_site_packages and base is not None and version:
        inherited = _base_sites(base, ".".join(version.split(".")[:2]))
        # A pyvenv.cfg whose home is the venv's own bin/ names no other site.
        own = {os.path.realpath(s) for s in sites}
        inherited = [s for s in inherited if os.path.realpath(s) not in own]
    dists, leftovers = _distributions(sites, conda, prefix)
    if not sites:
        problems.append(f"{prefix}: no lib/pythonX.Y/site-packages")
    return Environment(
        prefix=prefix,
        kind=kind,
        python_version=version,
        base=base,
        system_site_packages=config.system_site_packages,
        sites=tuple(sites),
        inherited_sites=tuple(os.path.realpath(s) for s in inherited),
        distributions=dists,
        conda_packages=tuple(conda),
        problems=(*config.problems, *problems, *leftovers),
        inherited_only=inherited_only,
    )


def environment_at(python: str) -> tuple[str, Kind]:
    """The environment that *python* names: its prefix, or an interpreter in its
    ``bin/`` (the link itself, not what it points to: a venv's ``python`` links to its
    base's). Nothing is run.

    :raises TetherError: when it names no environment.
    """
    path = os.path.abspath(python)
    if not os.path.isdir(path) and os.path.basename(os.path.dirname(path)) in ("bin", "Scripts"):
        path = os.path.dirname(os.path.dirname(path))
    prefix = os.path.realpath(path)
    try:
        with os.scandir(prefix) as listing:
            entries = {e.name: e for e in listing}
    except OSError as e:
        msg = f"{python}: not a Python environment ({e.strerror or e})"
        raise TetherError(msg) from e
    kind = _kind(prefix, entries, _user_base())
    if kind is None:
        msg = (
            f"{python}: not a Python environment (no pyvenv.cfg, conda-meta/ or lib/pythonX.Y/site-packages)"
        )
        raise TetherError(msg)
    return prefix, kind


def _canonical(prefix: str) -> str:
    """The prefix of the interpreter installed at *prefix*, named by where its ``lib``
    really is: on a merged-``/usr`` system ``/lib`` links to ``/usr/lib``, so ``/``
    (reached by a walk of ``/``, or as the base of a venv whose ``home`` is ``/bin``) is
    ``/usr``, read once, under the site paths a venv's inherited sites are compared with."""
    lib = os.path.realpath(os.path.join(prefix, "lib"))
    return os.path.dirname(lib) if os.path.basename(lib) == "lib" else prefix


def _read_all(found: dict[str, Kind]) -> list[Environment]:
    """Every environment of *found* read (in threads), and the bases whose sites a venv
    inherits read too, so that each distribution is listed once, under its own site."""
    found = {(_canonical(p) if kind == "base" else p): kind for p, kind in found.items()}
    envs: dict[str, Environment] = {}
    with ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="tether-read") as pool:
        for env in pool.map(lambda item: read_environment(*item), found.items()):
            envs[env.prefix] = env
        bases = {e.base for e in envs.values() if e.inherited_sites and e.base is not None} - set(envs)
        for env in pool.map(lambda base: read_environment(base, "base", inherited_only=True), sorted(bases)):
            envs[env.prefix] = env
    return sorted(envs.values(), key=lambda e: e.prefix)


def discover(roots: Sequence[str] = (), *, python: str | None = None, progress: bool = False) -> Inventory:
    """Find and read every environment under *roots* (walked), or the one *python* names;
    with neither, under :func:`default_roots`.

    :raises TetherError: when a root is not a directory, or *python* names no environment.
    """
    if python is not None:
        prefix, kind = environment_at(python)
        return Inventory(roots=(prefix,), environments=tuple(_read_all({prefix: kind})))
    prefixes: list[str] = []
    pruned: frozenset[str] = frozenset()
    if roots:
        for root in roots:
            if not os.path.isdir(root):
                msg = f"{root}: not a directory (--root takes a directory to walk)"
                raise TetherError(msg)
        walked = list(roots)
    else:
        walked, prefixes = default_roots()
        pruned = _pruned_in_home()
    real = _outermost([os.path.realpath(r) for r in walked], pruned | PRUNED_PATHS)
    found, warnings = walk(real, pruned=pruned, progress=Progress(progress))
    for prefix in prefixes:
        try:
            found.setdefault(*environment_at(prefix))
        except TetherError:
            continue
    return Inventory(roots=tuple(real), environments=tuple(_read_all(found)), warnings=tuple(warnings))
