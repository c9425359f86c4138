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

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from tether.errors import BoundError
from tether.models import Bound, Expectation, Source
from tether.sources._common import (
    SEEDED,
    exact,
    get_table,
    load_lock_toml,
    load_toml,
    marker_holds,
    read_text,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tether.sources.interface import Selection
    from tether.target import Target

__all__ = ["PoetryLockReader", "poetry_constraint"]

SUPPORTED = ("1.1", "2.0", "2.1")


def _bump(release: list[int], index: int) -> str:
    bumped = [*release[:index], release[index] + 1]
    return ".".join(str(p) for p in bumped)


def _one(part: str) -> str:
    """One poetry constraint (``^1.2.3``, ``~1.2``, ``1.2.*``, ``>=1``) as PEP 440."""
    part = part.strip()
    if part in {"", "*"}:
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
            return f"{op}{part[len(op) :].strip()}"
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
        except (InvalidSpecifier, InvalidVersion) as e:
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


def _deps(name: str, spec: object, key: str, display: str) -> Iterator[_Dep]:
    """The edges one ``name = spec`` entry stands for (a list gives several)."""
    specs = spec if isinstance(spec, list) else [spec]
    for i, item in enumerate(specs):
        where = f"{key}[{i}]" if isinstance(spec, list) else key
        if isinstance(item, str):
            yield _Dep(name=canonicalize_name(name), constraint=item, markers=None, python=None,
                       optional=False, extras=frozenset(), key=where)  # fmt: skip
        elif isinstance(item, dict):
            yield _Dep(
                name=canonicalize_name(name),
                constraint=str(item.get("version", "*")),
                markers=item.get("markers"),
                python=item.get("python"),
                optional=bool(item.get("optional", False)),
                extras=frozenset(canonicalize_name(e) for e in item.get("extras", [])),
                key=where,
            )
        else:
            raise BoundError(display, f"expected a constraint string or table, got {item!r}", key=where)


class _Walker:
    def __init__(self, lock: dict[str, Any], display: str, target: Target, extras: frozenset[str]) -> None:
        self.display = display
        self.target = target
        self.python = target.markers["python_full_version"]
        self.extras = extras
        self.by_name: dict[NormalizedName, list[tuple[int, dict[str, Any]]]] = {}
        for i, pkg in enumerate(lock.get("package", [])):
            if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
                raise BoundError(display, "expected a table with a name", key=f"package[{i}]")
            if "version" not in pkg:
                raise BoundError(display, "a package needs a version", key=f"package[{i}]")
            self.by_name.setdefault(canonicalize_name(pkg["name"]), []).append((i, pkg))

    def holds(self, marker: object, key: str, extras: frozenset[str] = frozenset()) -> bool:
        return marker_holds(marker, self.target.marker_env(), self.display, key=key, extras=extras)

    def python_ok(self, constraint: object, key: str) -> bool:
        if constraint is None or constraint == "*":
            return True
        try:
            return _satisfies(self.python, str(constraint))
        except ValueError as e:
            raise BoundError(self.display, str(e), key=key) from e

    def edge_active(self, dep: _Dep, parent_extras: frozenset[str], extra_deps: set[NormalizedName]) -> bool:
        if dep.optional and dep.name not in extra_deps:
            return False
        return self.holds(dep.markers, dep.key, parent_extras) and self.python_ok(dep.python, dep.key)

    def resolve(self, dep: _Dep) -> tuple[int, dict[str, Any]] | None:
        entries = self.by_name.get(dep.name)
        if not entries:
            msg = f"names {dep.name!r}, which the lock does not list"
            raise BoundError(self.display, msg, key=dep.key)
        if len(entries) == 1:
            return entries[0]
        for index, pkg in entries:
            key = f"package[{index}]"
            try:
                fits = _satisfies(str(pkg["version"]), dep.constraint)
            except ValueError:
                fits = True  # a direct reference (git, path) has no version constraint
            if (
                fits
                and self.python_ok(pkg.get("python-versions"), f"{key}.python-versions")
                and (not isinstance(pkg.get("markers"), str) or self.holds(pkg["markers"], f"{key}.markers"))
            ):
                return index, pkg
        return None

    def walk(self, roots: list[_Dep]) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        seen: dict[int, frozenset[str]] = {}
        queue = [(d, d.extras) for d in roots]
        while queue:
            dep, extras = queue.pop()
            hit = self.resolve(dep)
            if hit is None:
                continue
            index, pkg = hit
            before = seen.get(index)
            if before is not None and extras <= before:
                continue
            extras = extras | (before or frozenset())
            seen[index] = extras
            found[index] = pkg
            extra_table = pkg.get("extras", {})
            wanted: set[NormalizedName] = {
                canonicalize_name(Requirement(r).name) if _is_req(r) else canonicalize_name(r.split()[0])
                for e, reqs in extra_table.items()
                if canonicalize_name(e) in extras
                for r in reqs
            }
            for name, spec in pkg.get("dependencies", {}).items():
                for child in _deps(name, spec, f"package[{index}].dependencies.{name}", self.display):
                    if self.edge_active(child, extras, wanted):
                        queue.append((child, child.extras))
        return found


def _is_req(text: str) -> bool:
    try:
        Requirement(text)
    except InvalidRequirement:
        return False
    return True


def _source(pkg: dict[str, Any], base: Path) -> Source:
    src = pkg.get("source") or {}
    kind = src.get("type")
    if kind == "git":
        return Source(
            kind="vcs",
            vcs="git",
            url=str(src.get("url")),
            revision=src.get("reference"),
            commit=src.get("resolved_reference"),
            subdirectory=src.get("subdirectory"),
        )
    if kind == "directory":
        path = (base / str(src.get("url"))).resolve()
        return Source(kind="directory", url=str(path), editable=bool(pkg.get("develop", False)))
    if kind == "file":
        return Source(kind="url", url=(base / str(src.get("url"))).resolve().as_uri())
    if kind == "url":
        return Source(kind="url", url=str(src.get("url")))
    return Source(kind="index")


def _root_dependencies(
    pyproject: dict[str, Any], display: str
) -> tuple[dict[str, list[_Dep]], set[str], str]:
    """The project's declared dependencies by group, its optional groups, its name."""
    project = get_table(pyproject, "project", display)
    poetry = get_table(get_table(pyproject, "tool", display), "poetry", display)
    groups: dict[str, list[_Dep]] = {"main": []}
    for i, text in enumerate(project.get("dependencies", [])):
        try:
            req = Requirement(text)
        except InvalidRequirement as e:
            key = f"project.dependencies[{i}]"
            raise BoundError(
                display, f"invalid requirement {text!r}: {str(e).splitlines()[0]}", key=key
            ) from e
        groups["main"].append(_Dep(name=canonicalize_name(req.name), constraint=str(req.specifier) or "*",
                                   markers=str(req.marker) if req.marker else None, python=None,
                                   optional=False, extras=frozenset(canonicalize_name(e) for e in req.extras),
                                   key=f"project.dependencies[{i}]"))  # fmt: skip
    for name, spec in poetry.get("dependencies", {}).items():
        if name.lower() != "python":
            groups["main"] += _deps(name, spec, f"tool.poetry.dependencies.{name}", display)
    optional_groups: set[str] = set()
    legacy = poetry.get("dev-dependencies", {})
    if legacy:
        groups["dev"] = [
            d for n, s in legacy.items() for d in _deps(n, s, f"tool.poetry.dev-dependencies.{n}", display)
        ]
    for group, table in poetry.get("group", {}).items():
        if table.get("optional", False):
            optional_groups.add(group)
        deps = table.get("dependencies", {})
        groups.setdefault(group, []).extend(
            d
            for n, s in deps.items()
            for d in _deps(n, s, f"tool.poetry.group.{group}.dependencies.{n}", display)
        )
    from tether.sources.pyproject import resolve_groups

    dependency_groups = get_table(pyproject, "dependency-groups", display)
    for group in dependency_groups:
        for _, text in resolve_groups(dependency_groups, [group], display):
            req = Requirement(text)
            groups.setdefault(group, []).append(
                _Dep(
                    name=canonicalize_name(req.name),
                    constraint=str(req.specifier) or "*",
                    markers=str(req.marker) if req.marker else None,
                    python=None,
                    optional=False,
                    extras=frozenset(req.extras),
                    key=f"dependency-groups.{group}",
                )
            )
    name = str(project.get("name") or poetry.get("name") or "")
    return groups, optional_groups, name


class PoetryLockReader:
    """``poetry.lock`` (lock versions 1.1, 2.0 and 2.1)."""

    format = "poetry.lock"

    def read(self, text: str, *, path: Path, display: str, target: Target, selection: Selection) -> Bound:
        """Select what ``poetry sync`` installs on *target*."""
        lock = load_lock_toml(text, display, arrays=("files",), lines=())
        version = str(get_table(lock, "metadata", display).get("lock-version", ""))
        if version not in SUPPORTED:
            msg = f"lock-version {version!r} is not supported; expected one of {', '.join(SUPPORTED)}"
            raise BoundError(display, msg, key="metadata.lock-version")
        pyproject_path = path.parent / "pyproject.toml"
        if not pyproject_path.is_file():
            raise BoundError(display, "no pyproject.toml beside it; poetry needs it to know the groups")
        pyproject = load_toml(read_text(pyproject_path), str(pyproject_path))
        groups, optional_groups, project_name = _root_dependencies(pyproject, str(pyproject_path))

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
            raise BoundError(display, msg)
        declared_extras = {canonicalize_name(e) for e in get_table(pyproject, "project", display).get(
            "optional-dependencies", {})} | {canonicalize_name(e) for e in pyproject.get("tool", {}).get(
            "poetry", {}).get("extras", {})}  # fmt: skip
        extras = frozenset(
            declared_extras if selection.all_extras else map(canonicalize_name, selection.extras)
        )
        if extras - declared_extras:
            msg = f"no extra {sorted(extras - declared_extras)[0]!r} in {pyproject_path.name}"
            raise BoundError(display, msg)

        walker = _Walker(lock, display, target, extras)
        if version == "2.1":
            found = self._by_groups(walker, chosen)
        else:
            extra_names = self._extra_names(pyproject, extras)
            roots = [
                d for g in sorted(chosen) for d in groups.get(g, [])
                if walker.edge_active(d, extras, extra_names)
            ]  # fmt: skip
            found = walker.walk(roots)

        base = path.parent
        expectations = [
            Expectation(
                name=canonicalize_name(pkg["name"]),
                specifier=exact(str(pkg["version"])),
                source=_source(pkg, base),
                origin=f"{display}: package[{index}]",
            )
            for index, pkg in sorted(found.items())
        ]
        package_mode = pyproject.get("tool", {}).get("poetry", {}).get("package-mode", True)
        if package_mode and project_name and not selection.only_groups:
            expectations.append(
                Expectation(
                    name=canonicalize_name(project_name),
                    specifier=SpecifierSet(),
                    source=Source(kind="directory", url=str(base.resolve()), editable=True),
                    origin=str(pyproject_path),
                )
            )
        flags = [f"--with {shlex.quote(g)}" for g in selection.groups]
        flags += [f"--only {shlex.quote(g)}" for g in selection.only_groups]
        flags += [f"--without {shlex.quote(g)}" for g in selection.without_groups]
        flags += [f"--extras {shlex.quote(e)}" for e in selection.extras]
        flags += ["--all-extras"] if selection.all_extras else []
        return Bound(
            path=display,
            format=self.format,
            expectations=tuple(expectations),
            follow="none",
            allowed=SEEDED,
            repair=" ".join(["poetry sync", *flags]),
            files=(str(path), str(pyproject_path)),
        )

    @staticmethod
    def _extra_names(pyproject: dict[str, Any], extras: frozenset[str]) -> set[NormalizedName]:
        names: set[NormalizedName] = set()
        for extra, members in pyproject.get("tool", {}).get("poetry", {}).get("extras", {}).items():
            if canonicalize_name(extra) in extras:
                names.update(canonicalize_name(m) for m in members)
        for extra, reqs in pyproject.get("project", {}).get("optional-dependencies", {}).items():
            if canonicalize_name(extra) in extras:
                names.update(canonicalize_name(Requirement(r).name) for r in reqs)
        return names

    @staticmethod
    def _by_groups(walker: _Walker, chosen: set[str]) -> dict[int, dict[str, Any]]:
        """Lock 2.1: each package says which groups it belongs to, under which marker."""
        found = {}
        for entries in walker.by_name.values():
            for index, pkg in entries:
                key = f"package[{index}]"
                markers = pkg.get("markers")
                for group in pkg.get("groups", ["main"]):
                    if group not in chosen:
                        continue
                    marker = markers.get(group) if isinstance(markers, dict) else markers
                    if walker.holds(marker, f"{key}.markers", walker.extras) and walker.python_ok(
                        pkg.get("python-versions"), f"{key}.python-versions"
                    ):
                        found[index] = pkg
                        break
        return found
