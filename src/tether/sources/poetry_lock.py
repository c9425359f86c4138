"""``poetry.lock``: what ``poetry sync`` installs for the target interpreter.

What is selected, as ``poetry sync`` selects it:

- groups: ``main`` plus every group of the ``pyproject.toml`` beside the lock that is not
  ``optional = true`` (``[tool.poetry.group.<name>]``, the legacy
  ``[tool.poetry.dev-dependencies]`` as ``dev``, and PEP 735 ``[dependency-groups]``);
  ``--group`` adds an optional group (poetry's ``--with``), ``--without-group`` removes
  one, ``--only-group`` keeps only those (``--only``), ``--no-default-groups`` keeps
  ``main`` alone;
- extras: ``--extra``/``--all-extras`` (``[project.optional-dependencies]`` or
  ``[tool.poetry.extras]``);
- the root project itself, installed editable, unless ``package-mode = false``.

Lock version 2.1 records, per package, its ``groups`` and its ``markers`` (a string, or a
table keyed by group): a package is installed when one of its groups is selected and
that group's marker holds for the target. Versions 1.1 and 2.0 do not, so the graph is
walked from the project's declared dependencies, as poetry's installer does: an edge is
followed when its ``markers`` and ``python`` constraint hold and, if ``optional``, when an
extra of its parent asks for it; where a name has several entries, the one whose version
satisfies the edge and whose ``python-versions`` admit the target is taken.

Poetry's own constraint syntax (``^1.2``, ``~1.2``, ``1.*``, ``>=1,<2``, ``||``) is
translated to PEP 440 specifiers here; poetry-core, which implements it, is far too heavy
a dependency for that alone.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from tether.errors import DocumentError
from tether.models import Bound, Expectation, Source
from tether.sources import _repair, staleness
from tether.sources._access import Table
from tether.sources._common import (
    SEEDED,
    beside,
    exact,
    in_file,
    load_lock_toml,
    load_toml,
    marker_holds,
)
from tether.sources._files import exists, read_text, realpath

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tether.sources.interface import Selection
    from tether.target import Target

__all__ = ["PoetryLockReader", "poetry_constraint"]

SUPPORTED = ("1.1", "2.0", "2.1")


def _bump(release: list[int], index: int) -> str:
    bumped = [*release[:index], release[index] + 1]
    return ".".join(str(p) for p in bumped)


_ANY = re.compile(r"v?[x*](\.[x*])*", re.IGNORECASE)
_ORDERED = ("<=", ">=", "<", ">")


def _one(part: str) -> str:
    """One poetry constraint (``^1.2.3``, ``~1.2``, ``1.2.*``, ``>=1``) as PEP 440.

    Where poetry-core reads more than PEP 440 (``x``, ``*.*``, ``~=1``, ``>=3.5.*``, which
    old packages' ``python_requires`` and so their locked ``python-versions`` hold), it is
    read as poetry-core reads it (tests/sources/test_poetry_constraint.py holds the two
    equal on a table of constraints and versions).
    """
    part = part.strip()
    if part == "" or _ANY.fullmatch(part):
        return ""
    if part.startswith("^"):
        version = Version(part[1:].strip())
        release = list(version.release)
        # The upper bound moves the left-most non-zero component (^0.2.3 -> <0.3.0).
        index = next((i for i, n in enumerate(release) if n != 0), len(release) - 1)
        return f">={version},<{_bump(release, index)}"
    if part.startswith("~") and not part.startswith("~="):
        version = Version(part[1:].strip())
        release = list(version.release)
        return f">={version},<{_bump(release, 0 if len(release) == 1 else 1)}"
    for op in ("===", "==", "!=", "<=", ">=", "~=", "<", ">"):
        if part.startswith(op):
            operand = part[len(op) :].strip()
            if op in _ORDERED:
                operand = operand.removesuffix(".*")  # poetry-core: >=3.5.* is >=3.5
            if op == "~=" and "." not in operand:  # poetry-core: ~=1 is >=1,<2
                return f">={operand},<{_bump(list(Version(operand).release), 0)}"
            return f"{op}{operand}"
    return f"=={part}"


def poetry_constraint(text: str) -> list[SpecifierSet]:
    """A poetry version constraint as a union of PEP 440 specifier sets.

    :raises ValueError: if it cannot be read.
    """
    alternatives = []
    for alternative in text.replace("||", "|").split("|"):
        parts = [p for chunk in alternative.split(",") for p in [chunk.strip()] if p]
        # poetry also accepts "space separated" ands: ">= 1.2 < 2"
        pieces: list[str] = []
        for p in parts:
            tokens = p.split()
            current = ""
            for token in tokens:
                if current and token[0] in "<>=!~^":
                    pieces.append(current)
                    current = token
                else:
                    current += token
            pieces.append(current)
        try:
            alternatives.append(SpecifierSet(",".join(filter(None, (_one(p) for p in pieces)))))
        except ValueError as e:  # InvalidSpecifier, InvalidVersion, a number int() refuses
            raise ValueError(f"invalid constraint {text!r}") from e
    return alternatives


def _satisfies(version: str, constraint: str) -> bool:
    return any(s.contains(version, prereleases=True) for s in poetry_constraint(constraint))


@dataclass(frozen=True, kw_only=True, slots=True)
class _Dep:
    """One dependency edge: a name, its constraint, its conditions, the extras it asks."""

    name: NormalizedName
    constraint: str
    markers: str | None
    python: str | None
    optional: bool
    extras: frozenset[str]
    key: str
    #: Whether written as a table (``{version = ..., markers = ...}``), whose keys are
    #: named in messages, or as one string.
    table: bool = False

    def at(self, field: str) -> str:
        """The key path of one of the edge's fields (``markers``, ``python``)."""
        return f"{self.key}.{field}" if self.table else self.key

    @classmethod
    def from_requirement(cls, req: Requirement, key: str) -> _Dep:
        """A PEP 508 dependency (``[project]``, ``[dependency-groups]``), its name and
        extras normalised as every requirement's are (:meth:`Expectation.from_requirement`)."""
        exp = Expectation.from_requirement(req, origin=key)
        return cls(name=exp.name, constraint=str(exp.specifier) or "*",
                   markers=str(req.marker) if req.marker else None, python=None, optional=False,
                   extras=exp.extras, key=key)  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class _Package:
    """One ``[[package]]`` entry."""

    index: int
    name: NormalizedName
    version: str
    #: The whole entry, with its key path for messages.
    table: Table


def _deps(table: Table, name: str) -> Iterator[_Dep]:
    """The edges the entry ``name = spec`` of a dependency *table* stands for: a constraint
    string, a table (``version``, ``markers``, ``python``, ``optional``, ``extras``), or an
    array of those (one per condition)."""
    spec = table.data[name]
    specs = [(table.key(name), spec)]
    if isinstance(spec, list):
        specs = [(f"{table.key(name)}[{i}]", item) for i, item in enumerate(spec)]
    for key, item in specs:
        if isinstance(item, str):
            yield _Dep(name=canonicalize_name(name), constraint=item, markers=None, python=None,
                       optional=False, extras=frozenset(), key=key)  # fmt: skip
        elif isinstance(item, dict):
            dep = Table(item, key, table.syntax)
            yield _Dep(
                name=canonicalize_name(name),
                constraint=dep.get("version", str) or "*",
                markers=dep.get("markers", str),
                python=dep.get("python", str),
                optional=dep.get("optional", bool) or False,
                extras=frozenset(canonicalize_name(e) for e in dep.strings("extras")),
                key=key,
                table=True,
            )
        else:
            expected = "a constraint string or a table"
            if item is spec:
                expected += ", or an array of them"
            raise DocumentError(f"expected {expected}, got {table.syntax.of(item)}", key=key)


def _requirement(text: str, key: str) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as e:
        raise DocumentError(f"invalid requirement {text!r}: {str(e).splitlines()[0]}", key=key) from e


def _requirement_name(text: str, key: str) -> NormalizedName:
    """The name an extra's member names: PEP 508 (``PySocks>=1.5``) or poetry's own
    ``PySocks (>=1.5.6,!=1.5.7)``."""
    try:
        return canonicalize_name(Requirement(text).name)
    except InvalidRequirement:
        words = text.split()
        if not words:
            raise DocumentError("expected a requirement, got an empty string", key=key) from None
        return canonicalize_name(words[0])


class _Walker:
    def __init__(self, lock: Table, target: Target, extras: frozenset[str]) -> None:
        self.target = target
        self.python = target.markers["python_full_version"]
        self.extras = extras
        self.by_name: dict[NormalizedName, list[_Package]] = {}
        for i, table in enumerate(lock.tables("package")):
            pkg = _Package(
                index=i,
                name=canonicalize_name(table.required("name", str)),
                version=table.required("version", str),
                table=table,
            )
            self.by_name.setdefault(pkg.name, []).append(pkg)

    def holds(self, marker: str | None, key: str, extras: frozenset[str] = frozenset()) -> bool:
        return marker_holds(marker, self.target.marker_env(), key=key, extras=extras)

    def python_ok(self, constraint: str | None, key: str) -> bool:
        if constraint is None or constraint == "*":
            return True
        try:
            return _satisfies(self.python, constraint)
        except ValueError as e:
            raise DocumentError(str(e), key=key) from e

    def edge_active(self, dep: _Dep, parent_extras: frozenset[str], extra_deps: set[NormalizedName]) -> bool:
        if dep.optional and dep.name not in extra_deps:
            return False
        return self.holds(dep.markers, dep.at("markers"), parent_extras) and self.python_ok(
            dep.python, dep.at("python")
        )

    def listed(self, dep: _Dep) -> list[_Package]:
        """The entries of the package an edge names.

        :raises DocumentError: when the lock has none.
        """
        entries = self.by_name.get(dep.name)
        if not entries:
            raise DocumentError(f"names {dep.name!r}, which the lock does not list", key=dep.key)
        return entries

    def resolve(self, dep: _Dep) -> _Package | None:
        entries = self.listed(dep)
        if len(entries) == 1:
            return entries[0]
        for pkg in entries:
            try:
                fits = _satisfies(pkg.version, dep.constraint)
            except ValueError:
                fits = True  # a direct reference (git, path) has no version constraint
            markers = pkg.table.data.get("markers")
            if (
                fits
                and self.python_ok(pkg.table.get("python-versions", str), pkg.table.key("python-versions"))
                and (not isinstance(markers, str) or self.holds(markers, pkg.table.key("markers")))
            ):
                return pkg
        return None

    def walk(self, roots: list[_Dep]) -> dict[int, _Package]:
        found: dict[int, _Package] = {}
        seen: dict[int, frozenset[str]] = {}
        queue = [(d, d.extras) for d in roots]
        while queue:
            dep, extras = queue.pop()
            pkg = self.resolve(dep)
            if pkg is None:
                continue
            before = seen.get(pkg.index)
            if before is not None and extras <= before:
                continue
            extras = extras | (before or frozenset())
            seen[pkg.index] = extras
            found[pkg.index] = pkg
            extra_table = pkg.table.table("extras")
            wanted: set[NormalizedName] = {
                _requirement_name(r, f"{extra_table.key(e)}[{i}]")
                for e in extra_table.data
                if canonicalize_name(e) in extras
                for i, r in enumerate(extra_table.strings(e))
            }
            deps = pkg.table.table("dependencies")
            for name in deps.data:
                for child in _deps(deps, name):
                    if self.edge_active(child, extras, wanted):
                        queue.append((child, child.extras))
        return found


def _source(pkg: _Package, base: Path) -> Source:
    src = pkg.table.table("source")
    kind = src.get("type", str)
    if kind == "git":
        return Source(
            kind="vcs",
            vcs="git",
            url=src.required("url", str),
            revision=src.get("reference", str),
            commit=src.get("resolved_reference", str),
            subdirectory=src.get("subdirectory", str),
        )
    if kind == "directory":
        path = realpath(base / src.required("url", str))
        return Source(kind="directory", url=path, editable=pkg.table.get("develop", bool) or False)
    if kind == "file":
        return Source(kind="url", url=Path(realpath(base / src.required("url", str))).as_uri())
    if kind == "url":
        return Source(kind="url", url=src.required("url", str))
    return Source(kind="index")


def _root_dependencies(pyproject: Table) -> tuple[dict[str, list[_Dep]], set[str], str]:
    """The project's declared dependencies by group, its optional groups, its name."""
    project = pyproject.table("project")
    poetry = pyproject.table("tool").table("poetry")
    groups: dict[str, list[_Dep]] = {"main": []}
    key = project.key("dependencies")
    for i, text in enumerate(project.strings("dependencies")):
        groups["main"].append(_Dep.from_requirement(_requirement(text, f"{key}[{i}]"), f"{key}[{i}]"))
    deps = poetry.table("dependencies")
    for name in deps.data:
        if name.lower() != "python":
            groups["main"] += _deps(deps, name)
    optional_groups: set[str] = set()
    legacy = poetry.table("dev-dependencies")
    if legacy.data:
        groups["dev"] = [d for n in legacy.data for d in _deps(legacy, n)]
    poetry_groups = poetry.table("group")
    for group, raw in poetry_groups.items():
        table = poetry_groups.sub(group, raw)
        if table.get("optional", bool):
            optional_groups.add(group)
        deps = table.table("dependencies")
        groups.setdefault(group, []).extend(d for n in deps.data for d in _deps(deps, n))
    from tether.sources.pyproject import resolve_groups

    dependency_groups = pyproject.table("dependency-groups")
    for group in dependency_groups.data:
        for _, text in resolve_groups(dependency_groups, [group]):
            dep = _Dep.from_requirement(Requirement(text), f"dependency-groups.{group}")
            groups.setdefault(group, []).append(dep)
    name = project.get("name", str) or poetry.get("name", str) or ""
    return groups, optional_groups, name


def _declared_extras(pyproject: Table) -> dict[NormalizedName, set[NormalizedName]]:
    """Each extra the project declares, with the packages it adds."""
    extras: dict[NormalizedName, set[NormalizedName]] = {}
    poetry_extras = pyproject.table("tool").table("poetry").table("extras")
    for extra in poetry_extras.data:
        members = {canonicalize_name(m) for m in poetry_extras.strings(extra)}
        extras.setdefault(canonicalize_name(extra), set()).update(members)
    optional = pyproject.table("project").table("optional-dependencies")
    for extra in optional.data:
        key = optional.key(extra)
        names = {canonicalize_name(_requirement(r, f"{key}[{i}]").name)
                 for i, r in enumerate(optional.strings(extra))}  # fmt: skip
        extras.setdefault(canonicalize_name(extra), set()).update(names)
    return extras


def _flags(selection: Selection, chosen: set[str]) -> list[str]:
    """``poetry sync``'s options for what *selection* chose."""
    if selection.only_groups or selection.no_default_groups:
        # poetry ignores --with and --without beside --only.
        flags = [f"--only {shlex.quote(g)}" for g in sorted(chosen)]
    else:
        flags = [f"--with {shlex.quote(g)}" for g in selection.groups]
        flags += [f"--without {shlex.quote(g)}" for g in selection.without_groups]
    flags += [f"--extras {shlex.quote(e)}" for e in selection.extras]
    flags += ["--all-extras"] if selection.all_extras else []
    return flags


def _staleness(
    text: str, lock: Table, pyproject: Table, display: str, shown: str
) -> tuple[str, tuple[str, ...]]:
    """Why the lock is stale against *pyproject* (``poetry check --lock``), ``""`` when it
    is not or cannot be told (said in the notes returned)."""
    try:
        return staleness.poetry_lock(text, lock.data, pyproject.data, shown), ()
    except staleness.Undecidable as e:
        return "", (f"{display}: whether it matches {shown} was not checked ({e})",)


class PoetryLockReader:
    """``poetry.lock`` (lock versions 1.1, 2.0 and 2.1)."""

    format = "poetry.lock"

    def read(self, text: str, *, path: Path, display: str, target: Target, selection: Selection) -> Bound:
        """Select what ``poetry sync`` installs on *target*."""
        lock = load_lock_toml(text, arrays=("files",), lines=())
        metadata = lock.table("metadata")
        version = metadata.required("lock-version", str)
        if version not in SUPPORTED:
            msg = f"lock-version {version!r} is not supported; expected one of {', '.join(SUPPORTED)}"
            raise metadata.error(msg, "lock-version")
        pyproject_path = path.parent / "pyproject.toml"
        if not exists(pyproject_path):
            raise DocumentError("no pyproject.toml beside it; poetry needs it to know the groups")
        shown = beside(display, "pyproject.toml")
        with in_file(shown):
            pyproject = load_toml(read_text(pyproject_path))
            groups, optional_groups, project_name = _root_dependencies(pyproject)
            declared = _declared_extras(pyproject)
            package_mode = pyproject.table("tool").table("poetry").get("package-mode", bool)

        if selection.only_groups:
            chosen = set(selection.only_groups)
        elif selection.no_default_groups:
            chosen = {"main", *selection.groups}
        else:
            chosen = {g for g in groups if g not in optional_groups} | {"main"} | set(selection.groups)
        chosen -= set(selection.without_groups)
        unknown = (set(selection.groups) | set(selection.only_groups)) - set(groups)
        if unknown:
            have = ", ".join(sorted(groups))
            msg = f"no dependency group {sorted(unknown)[0]!r} in {pyproject_path.name} (it has: {have})"
            raise DocumentError(msg)
        extras = frozenset(declared if selection.all_extras else map(canonicalize_name, selection.extras))
        if extras - declared.keys():
            msg = f"no extra {sorted(extras - declared.keys())[0]!r} in {pyproject_path.name}"
            raise DocumentError(msg)

        walker = _Walker(lock, target, extras)
        if version == "2.1":
            found = self._by_groups(walker, chosen)
        else:
            extra_names = {n for e in extras for n in declared[e]}
            with in_file(shown):
                # The roots' markers and names are the pyproject's: it is at fault for them.
                roots = [
                    d for g in sorted(chosen) for d in groups.get(g, [])
                    if walker.edge_active(d, extras, extra_names)
                ]  # fmt: skip
                for root in roots:
                    walker.listed(root)
            found = walker.walk(roots)

        stale, notes = _staleness(text, lock, pyproject, display, shown)
        base = path.parent
        expectations = [
            Expectation(
                name=pkg.name,
                specifier=exact(pkg.version),
                source=_source(pkg, base),
                origin=f"{display}: {pkg.table.path}",
            )
            for _, pkg in sorted(found.items())
        ]
        if package_mode is not False and project_name and not selection.only_groups:
            expectations.append(
                Expectation(
                    name=canonicalize_name(project_name),
                    specifier=SpecifierSet(),
                    source=Source(kind="directory", url=realpath(base), editable=True),
                    origin=shown,
                )
            )
        return Bound(
            path=display,
            format=self.format,
            expectations=tuple(expectations),
            allowed=SEEDED,
            repair=_repair.poetry_sync(target, path.parent, _flags(selection, chosen)),
            files=(str(path), str(pyproject_path)),
            notes=notes,
            stale=stale,
            relock="poetry lock",
        )

    @staticmethod
    def _by_groups(walker: _Walker, chosen: set[str]) -> dict[int, _Package]:
        """Lock 2.1: each package says which groups it belongs to, under which marker."""
        found = {}
        for entries in walker.by_name.values():
            for pkg in entries:
                table = pkg.table
                groups = table.strings("groups") if "groups" in table else ["main"]
                markers = table.data.get("markers")
                by_group = table.table("markers") if isinstance(markers, dict) else None
                if markers is not None and by_group is None and not isinstance(markers, str):
                    raise table.mistyped("markers", markers, "a marker string or a table of them by group")
                for group in groups:
                    if group not in chosen:
                        continue
                    if by_group is not None:
                        marker, key = by_group.get(group, str), by_group.key(group)
                    else:
                        marker, key = markers, table.key("markers")
                    if walker.holds(marker, key, walker.extras) and walker.python_ok(
                        table.get("python-versions", str), table.key("python-versions")
                    ):
                        found[pkg.index] = pkg
                        break
        return found
