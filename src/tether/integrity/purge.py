"""Remove installed distributions, exactly the files their ``RECORD`` lists, all or nothing.

:func:`plan` decides what would go: for each distribution, the files its RECORD lists
(scripts in the prefix's ``bin`` included), the byte code Python compiled from its
``.py`` files (``__pycache__/NAME.*.pyc``, as ``pip uninstall`` removes it), and its
``.dist-info`` directory. Whatever else is in its package directories (a file the user
dropped there) stays, and so do those directories then; directories emptied by the
removal are removed. A file that a distribution that stays also records (two packages
claiming one file, or a namespace package's shared ``__init__.py``) stays, and is listed
as kept: removing it would break the package that stays. It refuses, naming the row, a
RECORD that is missing or malformed, or that names a path outside the environment (its
prefix and, for the user site, the user base; ``../../../bin/pip`` in a venv is inside),
or that names the environment's own files, which no distribution installed (its
interpreter, ``bin/python*``, ``pyvenv.cfg``, a site directory or the prefix that is a
symbolic link, the start-up check of ``tether site-install``): nothing is removed then.
A row naming a directory is never removed recursively: such a directory goes only if the
removal leaves it empty. A symbolic link is removed as a link; what it points to stays.
An interpreter that is not a virtual environment is refused when its installation is
marked ``EXTERNALLY-MANAGED`` (PEP 668: a distribution's Python, whose packages its
package manager owns); another one (a pyenv build, a conda environment) is its own
installation, and the report says so first.

``pip`` and ``tether`` are left out unless named exactly (``--pattern pip``): removing
the installer is how fetter's ``purge-invalid`` broke environments. So is what a tether
installed in the environment needs (its ``Requires-Dist`` closure for the target). A distribution
installed in a site directory outside the environment (the base installation's, seen by
a venv with ``include-system-site-packages``) is left out, and said so.

:func:`execute` moves every file into a staging directory inside the site directory
(``.tether-purge-*``, on the same file system, with a ``MANIFEST`` of where each file
came from, written before the first move), and deletes the staging directory only when
every move succeeded; on any failure every file is moved back and nothing is removed. A
file planned that is a directory when its turn comes is such a failure (a directory is
never removed whole). A staging directory found by :func:`plan` was left by a purge that
was killed half-way: it holds files that are nowhere else, so nothing is planned (the
error names it) until the user has put them back or deleted it.
"""

from __future__ import annotations

import errno
import glob
import json
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tether.errors import PurgeError, RecordError
from tether.integrity.verify import within
from tether.records import OwnedFile, read_record

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from tether.runtime.scan import Dist
    from tether.target import Target

__all__ = ["PROTECTED", "Plan", "Removal", "Skipped", "execute", "externally_managed", "plan", "purge_roots"]

#: Never removed unless named exactly.
PROTECTED = frozenset({"pip", "tether"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Removal:
    """One distribution to remove, and every path that goes with it."""

    name: str
    version: str
    site: str
    #: Its ``.dist-info`` directory (removed last, with whatever it holds).
    metadata: str
    #: The files to remove (recorded files that exist, and their byte code), in RECORD order.
    files: tuple[str, ...]
    #: Recorded files that stay because a distribution that stays records them too.
    kept: tuple[str, ...]
    #: Why it was chosen: ``unexpected``, or the pattern it matched.
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Skipped:
    """A distribution chosen and left in place, and why."""

    name: str
    version: str
    path: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Plan:
    """What :func:`execute` removes."""

    removals: tuple[Removal, ...]
    skipped: tuple[Skipped, ...]
    #: The environment's prefix, for showing paths.
    prefix: str
    #: Whether it is a virtual environment (else purge removes from an installation itself).
    venv: bool


def purge_roots(target: Target) -> tuple[str, ...]:
    """What purge may remove from (real paths): the prefix, and the user base when the
    user site is one of the target's site directories."""
    roots = [target.prefix]
    if target.user_site is not None and target.user_site in target.sites:
        roots.append(os.path.dirname(os.path.dirname(os.path.dirname(target.user_site))))
    return tuple(os.path.realpath(r) for r in roots)


def plan(target: Target, chosen: Mapping[Dist, str], *, named: Iterable[str] = ()) -> Plan:
    """What removing *chosen* (each distribution with the reason it was chosen) takes.

    :param named: names given exactly; only these may remove :data:`PROTECTED` packages.
    :raises PurgeError: when a chosen distribution's RECORD cannot be read or names a path
        outside the environment.
    """
    managed = externally_managed(target)
    if managed is not None:
        msg = (
            f"{target.executable} is not a virtual environment and its installation is managed by "
            f"another tool ({managed}, PEP 668): purge a virtual environment instead; nothing removed"
        )
        raise PurgeError(msg)
    for site in target.sites:
        stale = sorted(glob.glob(os.path.join(glob.escape(site), ".tether-purge-*")))
        if stale:
            msg = (
                f"{stale[0]}: left by a purge that was interrupted (its MANIFEST lists where each "
                "staged file came from, staged as 0, 1, ...): move them back or delete it first; "
                "nothing removed"
            )
            raise PurgeError(msg)
    roots = purge_roots(target)
    own = _environment_files(target)
    exact = set(named)
    needed = _needed_by_tether(target)
    going: dict[Dist, str] = {}
    skipped: list[Skipped] = []
    for dist, reason in chosen.items():
        why = _skip_reason(dist, roots, exact, needed)
        if why is None:
            going[dist] = reason
        else:
            skipped.append(Skipped(name=dist.name, version=dist.version, path=dist.path, reason=why))
    others = _staying(target, going)
    removals = [_removal(dist, reason, roots, own, others) for dist, reason in going.items()]
    return Plan(removals=tuple(removals), skipped=tuple(skipped), prefix=target.prefix, venv=target.venv)


@dataclass(frozen=True, slots=True)
class _Staying:
    """What the distributions that stay own: the files their RECORDs list, their metadata
    (real paths, as :func:`_real` gives them: ``lib64/...`` in a venv is ``lib/...``)."""

    files: frozenset[str]
    metadata: tuple[str, ...]
    #: Directories resolved so far (most files share one).
    real_dirs: dict[str, str]

    def owns(self, path: str) -> bool:
        real = _real(path, self.real_dirs)
        return real in self.files or any(real.startswith(m + os.sep) for m in self.metadata)


def _staying(target: Target, going: Mapping[Dist, str]) -> _Staying:
    """What every installed distribution not in *going* owns (a RECORD that cannot be
    read owns nothing but its metadata: its own removal is refused, not this one)."""
    from tether.installed import scan

    leaving = {os.path.abspath(d.path) for d in going}
    files: set[str] = set()
    metadata: list[str] = []
    real_dirs: dict[str, str] = {}
    for dist in scan(target.sites).dists:
        path = os.path.abspath(dist.path)
        if path in leaving:
            continue
        metadata.append(os.path.realpath(path))
        try:
            owned = read_record(dist.path, dist.site)
        except RecordError:
            continue
        # A row with a NUL byte names no file (and realpath() would raise).
        files.update(_real(item.path, real_dirs) for item in owned if "\0" not in item.path)
    return _Staying(frozenset(files), tuple(metadata), real_dirs)


def externally_managed(target: Target) -> str | None:
    """The ``EXTERNALLY-MANAGED`` marker (PEP 668) of a target that is not a virtual
    environment: its packages belong to the system's package manager, which pip leaves
    alone too (``None`` for a venv, or an installation without the marker)."""
    if target.venv:
        return None
    major, minor = target.version[:2]
    marker = "EXTERNALLY-MANAGED"
    candidates = [
        *glob.glob(os.path.join(glob.escape(target.prefix), "lib", f"python{major}.{minor}*", marker)),
        os.path.join(target.prefix, "Lib", marker),
    ]
    return next((c for c in candidates if os.path.isfile(c)), None)


def _needed_by_tether(target: Target) -> frozenset[str]:
    """What the tether installed in *target*, if any, needs to run: its ``Requires-Dist``
    closure for the target's markers (without it, removing ``*`` would leave a tether
    that cannot start, and the start-up check it installed with it)."""
    from packaging.utils import canonicalize_name

    from tether.installed import read_requires, scan

    dists = {d.name: d for d in reversed(scan(target.sites).dists)}  # the first one imports
    seen: set[tuple[str, str]] = set()
    todo: list[tuple[str, str]] = [("tether", "")]
    while todo:
        name, extra = todo.pop()
        dist = dists.get(name)
        if dist is None or (name, extra) in seen:
            continue
        seen.add((name, extra))
        for req in read_requires(dist)[0]:
            if req.marker is None or req.marker.evaluate(target.marker_env(extra)):
                todo += [(canonicalize_name(req.name), e) for e in ("", *req.extras)]
    return frozenset(name for name, _ in seen) - {"tether"}


def _skip_reason(dist: Dist, roots: tuple[str, ...], exact: set[str], needed: frozenset[str]) -> str | None:
    if dist.name in PROTECTED and dist.name not in exact:
        return f"{dist.name} is only removed when named exactly (--pattern {dist.name})"
    if dist.name in needed and dist.name not in exact:
        return f"tether, installed here, needs {dist.name}; only removed when named exactly"
    if not within(os.path.join(os.path.abspath(dist.site), "x"), roots):
        return f"installed in {dist.site}, outside the environment"
    return None


def _real(path: str, real_dirs: dict[str, str] | None = None) -> str:
    """*path* with its directory's symbolic links resolved (not its own: a link is itself).

    :param real_dirs: resolved directories, kept between calls.
    """
    folder, name = os.path.split(path)
    real_dir = None if real_dirs is None else real_dirs.get(folder)
    if real_dir is None:
        real_dir = os.path.realpath(folder)
        if real_dirs is not None:
            real_dirs[folder] = real_dir
    return os.path.join(real_dir, name)


def _environment_files(target: Target) -> frozenset[str]:
    """The paths that are the environment rather than any distribution's (real paths, as
    :func:`_real` gives them): its interpreter and every ``python*`` beside it (a venv's
    aliases), its ``activate`` scripts, ``pyvenv.cfg``, a link directly in the prefix
    (``lib64``), its prefix and site directories, and the start-up check
    ``tether site-install`` wrote (a RECORD naming it would switch the check off)."""
    from tether.hook.install import PACKAGE_NAME, PTH_NAME, START_NAME

    paths = {target.executable, os.path.join(target.prefix, "pyvenv.cfg"), target.prefix, *target.sites}
    for scripts in ("bin", "Scripts"):
        folder = glob.escape(os.path.join(target.prefix, scripts))
        for name in ("python*", "pypy*", "activate*", "Activate*", "deactivate*"):
            paths.update(glob.glob(os.path.join(folder, name)))
    # A venv's lib64 -> lib: no package put it there.
    paths.update(p for p in glob.glob(os.path.join(glob.escape(target.prefix), "*")) if os.path.islink(p))
    for site in target.sites:
        paths.update(os.path.join(site, name) for name in (PTH_NAME, START_NAME))
        hook = os.path.join(site, PACKAGE_NAME)
        if not os.path.islink(hook):  # os.walk() would follow it (to "/", say)
            for folder, _dirs, files in os.walk(hook):
                paths.update(os.path.join(folder, name) for name in files)
    return frozenset(_real(os.path.abspath(p)) for p in paths)


def _removal(
    dist: Dist, reason: str, roots: tuple[str, ...], own: frozenset[str], others: _Staying
) -> Removal:
    if not (dist.path.endswith(".dist-info") and os.path.isdir(dist.path)):
        msg = f"{dist.path}: a legacy .egg-info has no RECORD, so its files are unknown; nothing removed"
        raise PurgeError(msg)
    try:
        owned = read_record(dist.path, dist.site)
    except RecordError as e:
        msg = f"{e}; nothing removed"
        raise PurgeError(msg) from e
    metadata = os.path.abspath(dist.path)
    files: dict[str, None] = {}
    kept: dict[str, None] = {}
    real_dirs: dict[str, str] = {}
    record = os.path.join(dist.path, "RECORD")
    for item in owned:
        removable = _removable(item, record, roots, own, real_dirs)
        if item.path == metadata or item.path.startswith(metadata + os.sep):
            continue  # moved with the .dist-info directory, whole
        if others.owns(item.path):
            if removable:
                kept[item.path] = None  # another package's too: it stays, with its byte code
            continue
        if removable:
            files[item.path] = None
        if item.path.endswith(".py"):
            folder, stem = os.path.split(item.path)
            pattern = os.path.join(glob.escape(folder), "__pycache__", glob.escape(stem[:-3]) + ".*.pyc")
            files.update(dict.fromkeys(sorted(glob.glob(pattern))))
    return Removal(
        name=dist.name,
        version=dist.version,
        site=dist.site,
        metadata=metadata,
        files=tuple(files),
        kept=tuple(kept),
        reason=reason,
    )


def _removable(
    item: OwnedFile, record: str, roots: tuple[str, ...], own: frozenset[str], real_dirs: dict[str, str]
) -> bool:
    """Whether the row *item* names something to remove (a file or a link).

    :raises PurgeError: when it names a path outside the environment, or one of the
        environment's own files.
    """
    if "\0" in item.path:
        msg = f"{record}: the row {item.recorded!r} has a NUL byte; nothing removed"
        raise PurgeError(msg)
    if not within(item.path, roots, real_dirs):
        msg = (
            f"{record}: the row {item.recorded!r} names {item.path}, outside "
            f"the environment ({', '.join(roots)}); nothing removed"
        )
        raise PurgeError(msg)
    removable = os.path.islink(item.path) or os.path.isfile(item.path)
    if removable and _real(item.path) in own:
        msg = (
            f"{record}: the row {item.recorded!r} names {item.path}, one of the environment's own "
            "files (its interpreter, pyvenv.cfg, a site directory, tether's start-up check), which "
            "no package installed; "
            "nothing removed"
        )
        raise PurgeError(msg)
    return removable


def execute(chosen: Plan) -> list[str]:
    """Remove everything *chosen* lists: every path is first moved into a staging
    directory; only when all moved is the staging directory deleted.

    :returns: what could not be deleted, one line each (a staging directory holding an
        immutable file, say): removed from the environment, left for the user to delete.
    :raises PurgeError: when a move fails (everything moved is moved back first).
    """
    per_site: dict[str, list[str]] = {}
    seen: set[str] = set()
    for removal in chosen.removals:
        # Two copies of one distribution may record the same script: moved once.
        paths = [p for p in (*removal.files, removal.metadata) if p not in seen]
        seen.update(paths)
        per_site.setdefault(removal.site, []).extend(paths)
    folders = {r.metadata for r in chosen.removals}
    moves: list[tuple[str, str]] = []
    stages: list[str] = []
    try:
        for site, paths in per_site.items():
            stage = tempfile.mkdtemp(prefix=".tether-purge-", dir=site)
            stages.append(stage)
            _write_manifest(stage, paths)
            for i, path in enumerate(paths):
                staged = os.path.join(stage, str(i))
                if path not in folders and stat.S_ISDIR(os.lstat(path).st_mode):
                    # A file planned, a directory now: never removed whole.
                    raise IsADirectoryError(errno.EISDIR, "a directory now, not the file planned", path)
                os.rename(path, staged)
                moves.append((path, staged))
    except BaseException as e:
        # Any failure, Ctrl-C included: put back what moved. A staging directory still
        # holding a file that could not be put back is kept: that file is nowhere else.
        failed = _restore(moves)
        if not failed:
            for stage in stages:
                shutil.rmtree(stage, ignore_errors=True)
        if not isinstance(e, OSError):
            raise
        msg = f"cannot move {e.filename} aside ({e.strerror or e}); " + (
            "nothing removed"
            if not failed
            else f"and could not move back {', '.join(failed)}: they are in {', '.join(stages)}"
        )
        raise PurgeError(msg) from e
    left = [why for stage in stages if (why := _discard(stage)) is not None]
    _remove_empty_dirs(chosen)
    return left


def _discard(stage: str) -> str | None:
    """Delete the staging directory *stage*; what kept it from going, or ``None``."""
    errors: list[str] = []

    def failed(_function: object, path: str, exc: BaseException) -> None:
        errors.append(f"{path}: {getattr(exc, 'strerror', None) or exc}")

    if sys.version_info >= (3, 12):
        shutil.rmtree(stage, onexc=failed)
    else:
        shutil.rmtree(stage, onerror=lambda f, p, info: failed(f, p, info[1]))
    if not errors:
        return None
    return (
        f"{stage}: the packages are removed, but this staging directory could not be deleted "
        f"({errors[0]}); delete it by hand (purge refuses to run while it is there)"
    )


def _write_manifest(stage: str, paths: list[str]) -> None:
    """Where each staged file came from, in move order: a run killed half-way leaves
    what is needed to put them back (``MANIFEST``: a JSON list, path *i* staged as *i*)."""
    with open(os.path.join(stage, "MANIFEST"), "w", encoding="utf-8", errors="surrogateescape") as f:
        json.dump(paths, f)


def _restore(moves: list[tuple[str, str]]) -> list[str]:
    """Move *moves* back, last first; the paths that could not be."""
    failed = []
    for path, staged in reversed(moves):
        try:
            os.rename(staged, path)
        except OSError:
            failed.append(path)
    return failed


def _remove_empty_dirs(chosen: Plan) -> None:
    """Remove the directories the removal left empty, deepest first, never a site
    directory nor anything above it."""
    folders: set[str] = set()
    for removal in chosen.removals:
        site = os.path.abspath(removal.site)
        for path in removal.files:
            parent = os.path.dirname(path)
            while parent.startswith(site + os.sep):
                folders.add(parent)
                parent = os.path.dirname(parent)
    for folder in sorted(folders, key=len, reverse=True):
        try:
            os.rmdir(folder)
        except OSError:
            continue  # not empty: something not recorded is in it
