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
from typing import TYPE_CHECKING, Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from tether.errors import BoundError
from tether.models import Bound, Expectation, Source
from tether.sources._common import (
    exact,
    get_table,
    load_lock_toml,
    load_toml,
    marker_holds,
    read_text,
    source_from_git_reference,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tether.sources.interface import Selection
    from tether.target import Target

__all__ = ["UvLockReader"]

SCHEMA_VERSION = 1


@dataclass(frozen=True, kw_only=True, slots=True)
class _Package:
    """One ``[[package]]`` entry, with its key path for messages."""

    index: int
    name: NormalizedName
    version: str | None
    source: dict[str, Any]
    data: dict[str, Any]

    @property
    def key(self) -> str:
        return f"package[{self.index}]"


class _Lock:
    """A parsed uv.lock with the lookups the walk needs."""

    def __init__(self, data: dict[str, Any], display: str, target: Target) -> None:
        self.display = display
        self.env = target.marker_env()
        packages = data.get("package", [])
        if not isinstance(packages, list):
            raise BoundError(display, "expected an array of tables", key="package")
        self.by_name: dict[NormalizedName, list[_Package]] = {}
        for i, raw in enumerate(packages):
            if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
                raise BoundError(display, "expected a table with a name", key=f"package[{i}]")
            source = raw.get("source", {})
            version = raw.get("version")
            if not isinstance(source, dict) or (version is None and not source):
                msg = "a package needs a version or a source"
                raise BoundError(display, msg, key=f"package[{i}]")
            pkg = _Package(
                index=i,
                name=canonicalize_name(raw["name"]),
                version=str(version) if version is not None else None,
                source=source,
                data=raw,
            )
            self.by_name.setdefault(pkg.name, []).append(pkg)

    def holds(self, marker: object, key: str) -> bool:
        return marker_holds(marker, self.env, self.display, key=key)

    def resolve(self, edge: dict[str, Any], key: str) -> _Package:
        """The package entry an edge points at, for the target."""
        name = canonicalize_name(str(edge.get("name", "")))
        candidates = self.by_name.get(name)
        if not candidates:
            raise BoundError(self.display, f"names {name!r}, which the lock does not list", key=key)
        if len(candidates) == 1:
            return candidates[0]
        if "version" in edge or "source" in edge:
            chosen = [
                c
                for c in candidates
                if edge.get("version", c.version) == c.version and edge.get("source", c.source) == c.source
            ]
            if len(chosen) == 1:
                return chosen[0]
        forks = [
            c
            for c in candidates
            if any(
                self.holds(m, f"{c.key}.resolution-markers")
                for m in c.data.get("resolution-markers", ["python_version > '0'"])
            )
        ]
        if len(forks) == 1:
            return forks[0]
        msg = f"several entries for {name!r} and none that the target's markers single out"
        raise BoundError(self.display, msg, key=key)


def _edges(items: object, display: str, key: str) -> Iterator[tuple[dict[str, Any], str]]:
    if not isinstance(items, list):
        raise BoundError(display, "expected an array of dependency tables", key=key)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise BoundError(display, "expected a dependency table", key=f"{key}[{i}]")
        yield item, f"{key}[{i}]"


def _source(pkg: _Package, base: Path, display: str) -> Source | None:
    """The PEP 610 source of an entry; ``None`` for a virtual package (not installed)."""
    src = pkg.source
    if "registry" in src or not src:
        return Source(kind="index")
    if "virtual" in src:
        return None
    if "editable" in src or "directory" in src:
        path = base / str(src.get("editable") or src.get("directory"))
        return Source(kind="directory", url=str(path.resolve()), editable="editable" in src)
    if "git" in src:
        return source_from_git_reference(str(src["git"]))
    if "url" in src:
        return Source(kind="url", url=str(src["url"]))
    if "path" in src:
        return Source(kind="url", url=(base / str(src["path"])).resolve().as_uri())
    raise BoundError(display, f"unknown source {src!r}", key=f"{pkg.key}.source")


def _default_groups(pyproject: Path, notes: list[str], display: str) -> list[str] | None:
    """``[tool.uv] default-groups`` beside the lock; ``None`` means every group."""
    if not pyproject.is_file():
        notes.append(f"{display}: no pyproject.toml beside it; assumed uv's default groups (dev)")
        return ["dev"]
    data = load_toml(read_text(pyproject), str(pyproject))
    groups = data.get("tool", {}).get("uv", {}).get("default-groups", ["dev"])
    if groups == "all":
        return None
    if not isinstance(groups, list):
        raise BoundError(
            str(pyproject), "expected a list of group names or 'all'", key="tool.uv.default-groups"
        )
    return [str(g) for g in groups]


class UvLockReader:
    """``uv.lock`` (schema version 1)."""

    format = "uv.lock"

    def read(self, text: str, *, path: Path, display: str, target: Target, selection: Selection) -> Bound:
        """Walk the lock from its roots as ``uv sync`` does for *target*."""
        data = load_lock_toml(text, display, arrays=("wheels",), lines=("sdist = ",))
        version = data.get("version")
        if version != SCHEMA_VERSION:
            msg = f"uv.lock schema version {version!r} is not supported; expected {SCHEMA_VERSION}"
            raise BoundError(display, msg, key="version")
        requires_python = data.get("requires-python")
        if isinstance(requires_python, str):
            full = target.markers["python_full_version"]
            try:
                allowed = SpecifierSet(requires_python)
            except InvalidSpecifier as e:
                msg = f"invalid specifier {requires_python!r}; expected a PEP 440 range"
                raise BoundError(display, msg, key="requires-python") from e
            if not allowed.contains(full, prereleases=True):
                msg = f"requires Python {requires_python}, and {target.executable} is {full}"
                raise BoundError(display, msg, key="requires-python")
        lock = _Lock(data, display, target)
        notes: list[str] = []
        pyproject = path.parent / "pyproject.toml"
        defaults = _default_groups(pyproject, notes, display)

        roots = [p for ps in lock.by_name.values() for p in ps if p.source.get("editable") == "." or
                 p.source.get("virtual") == "."]  # fmt: skip
        manifest = get_table(data, "manifest", display)
        root_groups: dict[str, Any] = get_table(manifest, "dependency-groups", display)
        if not roots or selection.all_packages:
            members = [canonicalize_name(str(m)) for m in manifest.get("members", [])]
            roots += [lock.resolve({"name": m}, "manifest.members") for m in members if m not in
                      {r.name for r in roots}]  # fmt: skip

        queue = self._start(lock, roots, root_groups, selection, defaults)
        seen: dict[int, set[str]] = {}
        expected: dict[int, _Package] = {}
        self._walk(lock, queue, seen, expected)

        base = path.parent
        expectations = []
        for pkg in expected.values():
            source = _source(pkg, base, display)
            if source is None:
                continue
            try:
                specifier = exact(str(Version(pkg.version))) if pkg.version else SpecifierSet()
            except InvalidVersion:
                specifier = exact(pkg.version or "")
            expectations.append(
                Expectation(name=pkg.name, specifier=specifier, source=source, origin=display)
            )
        flags = [f"--extra {shlex.quote(e)}" for e in selection.extras]
        flags += ["--all-extras"] if selection.all_extras else []
        flags += [f"--group {shlex.quote(g)}" for g in selection.groups]
        flags += [f"--only-group {shlex.quote(g)}" for g in selection.only_groups]
        flags += ["--no-default-groups"] if selection.no_default_groups else []
        flags += ["--all-packages"] if selection.all_packages else []
        return Bound(
            path=display,
            format=self.format,
            expectations=tuple(expectations),
            follow="none",
            repair=" ".join(["uv sync", *flags]),
            files=tuple(str(p) for p in (path, pyproject) if p.is_file()),
            notes=tuple(notes),
        )

    @staticmethod
    def _start(
        lock: _Lock,
        roots: list[_Package],
        root_groups: dict[str, Any],
        selection: Selection,
        defaults: list[str] | None,
    ) -> list[tuple[_Package, frozenset[str]]]:
        """The walk's first steps: the roots with their extras, and their groups' edges."""
        display = lock.display

        def wanted_groups(available: list[str]) -> list[str]:
            if selection.only_groups:
                chosen = list(selection.only_groups)
            else:
                base = [] if selection.no_default_groups else (available if defaults is None else defaults)
                chosen = [*base, *selection.groups]
            without = {canonicalize_name(g) for g in selection.without_groups}
            return [g for g in chosen if canonicalize_name(g) not in without]

        def group_edges(
            table: dict[str, Any], group: str, key: str
        ) -> Iterator[tuple[_Package, frozenset[str]]]:
            for edge, edge_key in _edges(table.get(group, []), display, f"{key}.{group}"):
                if lock.holds(edge.get("marker"), edge_key):
                    yield lock.resolve(edge, edge_key), frozenset(edge.get("extra", []))

        queue: list[tuple[_Package, frozenset[str]]] = []
        extras = frozenset(canonicalize_name(e) for e in selection.extras)
        declared = {canonicalize_name(e) for r in roots for e in r.data.get("optional-dependencies", {})}
        if extras - declared:
            have = ", ".join(sorted(declared)) or "none"
            msg = f"no extra {sorted(extras - declared)[0]!r} in the project (it has: {have})"
            raise BoundError(display, msg)
        for root in roots:
            optional = root.data.get("optional-dependencies", {})
            root_extras = frozenset(optional) if selection.all_extras else extras
            groups = root.data.get("dev-dependencies", {})
            if not isinstance(groups, dict):
                raise BoundError(display, "expected a table", key=f"{root.key}.dev-dependencies")
            if not selection.only_groups:
                queue.append((root, root_extras))
            for group in wanted_groups(list(groups)):
                queue += group_edges(groups, group, f"{root.key}.dev-dependencies")
        for group in wanted_groups(list(root_groups)):
            queue += group_edges(root_groups, group, "manifest.dependency-groups")
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
            edges: list[tuple[dict[str, Any], str]] = []
            if first:
                edges += list(
                    _edges(pkg.data.get("dependencies", []), lock.display, f"{pkg.key}.dependencies")
                )
            optional = pkg.data.get("optional-dependencies", {})
            for extra in sorted(new if not first else extras):
                key = f"{pkg.key}.optional-dependencies.{extra}"
                edges += list(_edges(optional.get(extra, []), lock.display, key))
            for edge, key in edges:
                if lock.holds(edge.get("marker"), key):
                    queue.append((lock.resolve(edge, key), frozenset(edge.get("extra", []))))
