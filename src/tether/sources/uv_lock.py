"""``uv.lock``: what ``uv sync`` installs for the target interpreter.

The lock is a graph. ``uv sync`` starts from the project (the package whose source is
``editable = "."`` or ``virtual = "."``), or, when the workspace root is not a project,
from every workspace member (``[manifest].members``)
(``--all-packages`` starts from every member in either case), and follows:

1. the roots' dependencies, their selected extras (``--extra``, ``--all-extras``) and
   dependency groups: ``[tool.uv] default-groups`` from the ``pyproject.toml`` beside the
   lock (``dev`` when unset; ``"all"`` for every group), changed by ``--group``,
   ``--only-group``, ``--without-group`` and ``--no-default-groups``; a non-project root
   keeps its groups in ``[manifest.dependency-groups]``;
2. every edge whose ``marker`` holds for the target, activating the ``extra`` list the
   edge names on the dependency;
3. where a name has several entries (a forked resolution), the one the edge names by
   ``version``/``source``, else the one whose ``resolution-markers`` hold for the target.

Cycles are legal in a dependency graph and are walked once. Sources map to PEP 610:
``registry`` is an index install, ``editable``/``directory`` a local directory,
``virtual`` is not installed at all, ``git`` a VCS commit, ``url``/``path`` an archive.
Schema ``version = 1`` (any ``revision``) is read; another version is refused.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from tether.errors import DocumentError
from tether.models import Bound, Expectation, Source
from tether.sources import _repair
from tether.sources._common import (
    beside,
    exact,
    in_file,
    load_lock_toml,
    load_toml,
    marker_holds,
    source_from_git_reference,
)
from tether.sources._files import exists, read_text, realpath

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tether.sources._access import Table
    from tether.sources.interface import Selection
    from tether.target import Target

__all__ = ["UvLockReader"]

SCHEMA_VERSION = 1
_SOURCE_KINDS = ("registry", "editable", "directory", "virtual", "git", "url", "path")


@dataclass(frozen=True, kw_only=True, slots=True)
class _Package:
    """One ``[[package]]`` entry."""

    index: int
    name: NormalizedName
    version: str | None
    #: The ``source`` table as written, which an edge may name to pick a fork.
    source: dict[str, Any]
    #: The whole entry, with its key path for messages.
    table: Table

    @property
    def key(self) -> str:
        return self.table.path


class _Lock:
    """A parsed uv.lock with the lookups the walk needs."""

    def __init__(self, data: Table, target: Target) -> None:
        self.env = target.marker_env()
        self.by_name: dict[NormalizedName, list[_Package]] = {}
        for i, raw in enumerate(data.tables("package")):
            name = raw.required("name", str)
            version = raw.get("version", str)
            source = raw.table("source")
            if version is None and not source.data:
                raise raw.error("a package needs a version or a source")
            pkg = _Package(
                index=i, name=canonicalize_name(name), version=version, source=source.data, table=raw
            )
            self.by_name.setdefault(pkg.name, []).append(pkg)

    def holds(self, marker: str | None, key: str) -> bool:
        return marker_holds(marker, self.env, key=key)

    def resolve(self, name: str, key: str, edge: Table | None = None) -> _Package:
        """The package entry an edge (or a workspace member) points at, for the target.

        :raises DocumentError: when the lock lists none, or several and no way to choose.
        """
        normalized = canonicalize_name(name)
        candidates = self.by_name.get(normalized)
        if not candidates:
            raise DocumentError(f"names {normalized!r}, which the lock does not list", key=key)
        if len(candidates) == 1:
            return candidates[0]
        if edge is not None and ("version" in edge or "source" in edge):
            version = edge.get("version", str)
            source = edge.table("source").data
            chosen = [
                c for c in candidates
                if version in {None, c.version} and ("source" not in edge or source == c.source)
            ]  # fmt: skip
            if len(chosen) == 1:
                return chosen[0]
        forks = [c for c in candidates if self._fork_holds(c)]
        if len(forks) == 1:
            return forks[0]
        msg = f"several entries for {normalized!r} and none that the target's markers single out"
        raise DocumentError(msg, key=key)

    def _fork_holds(self, pkg: _Package) -> bool:
        """Whether one of an entry's ``resolution-markers`` holds (an entry without any does)."""
        if "resolution-markers" not in pkg.table:
            return True
        key = pkg.table.key("resolution-markers")
        markers = pkg.table.strings("resolution-markers")
        return any(self.holds(m, f"{key}[{i}]") for i, m in enumerate(markers))

    def follow(self, edge: Table) -> tuple[_Package, frozenset[str]] | None:
        """Where an edge leads for the target, with the extras it asks; ``None`` if its
        marker is false."""
        if not self.holds(edge.get("marker", str), edge.key("marker")):
            return None
        return self.resolve(edge.required("name", str), edge.path, edge), frozenset(edge.strings("extra"))


def _source(pkg: _Package, base: Path) -> Source | None:
    """The PEP 610 source of an entry; ``None`` for a virtual package (not installed)."""
    src = pkg.table.table("source")
    kinds = {kind: src.get(kind, str) for kind in _SOURCE_KINDS if kind in src}
    if not src.data or "registry" in kinds:
        return Source(kind="index")
    if "virtual" in kinds:
        return None
    local = kinds.get("editable", kinds.get("directory"))
    if local is not None:
        return Source(kind="directory", url=realpath(base / local), editable="editable" in kinds)
    if (git := kinds.get("git")) is not None:
        return source_from_git_reference(git)
    if (url := kinds.get("url")) is not None:
        return Source(kind="url", url=url)
    if (path := kinds.get("path")) is not None:
        return Source(kind="url", url=Path(realpath(base / path)).as_uri())
    raise src.error(f"unknown kind of source; expected one of {', '.join(_SOURCE_KINDS)}")


def _default_groups(
    pyproject: Path, shown: str, notes: list[str], display: str, parsed: dict[Path, dict[str, Any]]
) -> list[str] | None:
    """``[tool.uv] default-groups`` beside the lock; ``None`` means every group. The
    pyproject read is kept in *parsed*, for :func:`_staleness`."""
    if not exists(pyproject):
        notes.append(f"{display}: no pyproject.toml beside it; assumed uv's default groups (dev)")
        return ["dev"]
    with in_file(shown):
        document = load_toml(read_text(pyproject))
        parsed[pyproject] = document.data
        uv = document.table("tool").table("uv")
        groups = uv.data.get("default-groups")
        if groups is None:
            return ["dev"]
        if groups == "all":
            return None
        if not isinstance(groups, list):
            raise uv.mistyped("default-groups", groups, "an array of group names or 'all'")
        return uv.strings("default-groups")


def _staleness(
    data: Table, pyproject: Path, display: str, notes: list[str], parsed: dict[Path, dict[str, Any]]
) -> tuple[str, list[str]]:
    """Why the lock is stale against its workspace (``uv lock --check``), ``""`` when it
    is not or cannot be told (said in *notes*); and the paths besides the files read
    that the answer depends on (to stamp)."""
    from tether.sources import staleness
    from tether.sources.remote import is_remote

    if not exists(pyproject):
        return "", []

    def read(path: Path) -> dict[str, Any]:
        if path in parsed:
            return parsed[path]
        try:
            return dict(load_toml(read_text(path)).data)
        except DocumentError as e:
            # A member's file by its path in the workspace: they are all "pyproject.toml".
            shown = (
                path.relative_to(pyproject.parent).as_posix()
                if path.is_relative_to(pyproject.parent)
                else path
            )
            raise staleness.Undecidable(f"{shown}: {e}") from e

    try:
        reason, unchecked, watched = staleness.uv_lock(
            data.data, pyproject.parent, read, local=not is_remote(display)
        )
    except staleness.Undecidable as e:
        notes.append(f"{display}: whether it matches its project files was not checked ({e})")
        return "", []
    notes.extend(f"{display}: {note}" for note in unchecked)
    return reason, watched


class UvLockReader:
    """``uv.lock`` (schema version 1)."""

    format = "uv.lock"

    def read(self, text: str, *, path: Path, display: str, target: Target, selection: Selection) -> Bound:
        """Walk the lock from its roots as ``uv sync`` does for *target*."""
        data = load_lock_toml(text, arrays=("wheels",), lines=("sdist = ",))
        version = data.required("version", int)
        if version != SCHEMA_VERSION:
            msg = f"uv.lock schema version {version!r} is not supported; expected {SCHEMA_VERSION}"
            raise data.error(msg, "version")
        requires_python = data.get("requires-python", str)
        if requires_python is not None:
            full = target.markers["python_full_version"]
            try:
                allowed = SpecifierSet(requires_python)
            except InvalidSpecifier as e:
                msg = f"invalid specifier {requires_python!r}; expected a PEP 440 range"
                raise data.error(msg, "requires-python") from e
            if not allowed.contains(full, prereleases=True):
                msg = f"requires Python {requires_python}, and {target.executable} is {full}"
                raise data.error(msg, "requires-python")
        lock = _Lock(data, target)
        notes: list[str] = []
        pyproject = path.parent / "pyproject.toml"
        parsed: dict[Path, dict[str, Any]] = {}
        defaults = _default_groups(pyproject, beside(display, "pyproject.toml"), notes, display, parsed)

        roots = [p for ps in lock.by_name.values() for p in ps if p.source.get("editable") == "." or
                 p.source.get("virtual") == "."]  # fmt: skip
        manifest = data.table("manifest")
        if not roots or selection.all_packages:
            key = manifest.key("members")
            have = {r.name for r in roots}
            roots += [lock.resolve(m, f"{key}[{i}]") for i, m in enumerate(manifest.strings("members"))
                      if canonicalize_name(m) not in have]  # fmt: skip

        queue = self._start(lock, roots, manifest.table("dependency-groups"), selection, defaults)
        seen: dict[int, set[str]] = {}
        expected: dict[int, _Package] = {}
        self._walk(lock, queue, seen, expected)

        base = path.parent
        expectations = []
        for pkg in expected.values():
            source = _source(pkg, base)
            if source is None:
                continue
            try:
                specifier = exact(str(Version(pkg.version))) if pkg.version else SpecifierSet()
            except ValueError:  # InvalidVersion, or a number int() refuses
                specifier = exact(pkg.version or "")
            expectations.append(
                Expectation(name=pkg.name, specifier=specifier, source=source, origin=display)
            )
        flags = [f"--extra {shlex.quote(e)}" for e in selection.extras]
        flags += ["--all-extras"] if selection.all_extras else []
        flags += [f"--group {shlex.quote(g)}" for g in selection.groups]
        flags += [f"--only-group {shlex.quote(g)}" for g in selection.only_groups]
        flags += [f"--no-group {shlex.quote(g)}" for g in selection.without_groups]
        flags += ["--no-default-groups"] if selection.no_default_groups else []
        flags += ["--all-packages"] if selection.all_packages else []
        stale, watched = _staleness(data, pyproject, display, notes, parsed)
        return Bound(
            path=display,
            format=self.format,
            expectations=tuple(expectations),
            repair=_repair.uv_sync(target, path.parent, flags),
            # The pyproject.toml even when absent: creating one changes the default groups.
            # Then the workspace's folders where a new member would appear.
            files=(str(path), str(pyproject), *watched),
            notes=tuple(notes),
            stale=stale,
            relock="uv lock",
        )

    @staticmethod
    def _start(
        lock: _Lock,
        roots: list[_Package],
        root_groups: Table,
        selection: Selection,
        defaults: list[str] | None,
    ) -> list[tuple[_Package, frozenset[str]]]:
        """The walk's first steps: the roots with their extras, and their groups' edges."""

        def wanted_groups(available: list[str]) -> list[str]:
            if selection.only_groups:
                chosen = list(selection.only_groups)
            else:
                base = [] if selection.no_default_groups else (available if defaults is None else defaults)
                chosen = [*base, *selection.groups]
            without = {canonicalize_name(g) for g in selection.without_groups}
            return [g for g in chosen if canonicalize_name(g) not in without]

        def group_edges(groups: Table) -> Iterator[tuple[_Package, frozenset[str]]]:
            for group in wanted_groups(list(groups.data)):
                for edge in groups.tables(group):
                    step = lock.follow(edge)
                    if step is not None:
                        yield step

        queue: list[tuple[_Package, frozenset[str]]] = []
        extras = frozenset(canonicalize_name(e) for e in selection.extras)
        declared = {canonicalize_name(e) for r in roots for e in r.table.table("optional-dependencies").data}
        if extras - declared:
            have = ", ".join(sorted(declared)) or "none"
            msg = f"no extra {sorted(extras - declared)[0]!r} in the project (it has: {have})"
            raise DocumentError(msg)
        for root in roots:
            optional = root.table.table("optional-dependencies")
            root_extras = frozenset(optional.data) if selection.all_extras else extras
            if not selection.only_groups:
                queue.append((root, root_extras))
            queue += group_edges(root.table.table("dev-dependencies"))
        queue += group_edges(root_groups)
        return queue

    @staticmethod
    def _walk(
        lock: _Lock,
        queue: list[tuple[_Package, frozenset[str]]],
        seen: dict[int, set[str]],
        expected: dict[int, _Package],
    ) -> None:
        while queue:
            pkg, extras = queue.pop()
            done = seen.setdefault(pkg.index, set())
            new = set(extras) - done
            if pkg.index in expected and not new:
                continue
            first = pkg.index not in expected
            expected[pkg.index] = pkg
            done.update(extras)
            edges = pkg.table.tables("dependencies") if first else []
            optional = pkg.table.table("optional-dependencies")
            for extra in sorted(new if not first else extras):
                edges += optional.tables(extra)
            for edge in edges:
                step = lock.follow(edge)
                if step is not None:
                    queue.append(step)
