"""``pyproject.toml``: PEP 621 dependencies, optional dependencies and PEP 735 groups.

A pyproject names direct dependencies (usually as ranges), not what is installed, so
the bound it gives is not complete: the installed ``Requires-Dist`` of what it names are
followed, as ``pip install .`` would install them. The project itself may be installed
(``pip install -e .``) without being listed. No dependency group is selected unless
asked for with ``--group`` (pip's behaviour; uv's ``dev`` default belongs to uv.lock).
"""

from __future__ import annotations

import os
import shlex
from typing import TYPE_CHECKING

from packaging.dependency_groups import (
    CyclicDependencyGroup,
    DependencyGroupResolver,
    DuplicateGroupNames,
    InvalidDependencyGroupObject,
)
from packaging.errors import ExceptionGroup
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from tether.errors import DocumentError
from tether.models import Bound, Expectation
from tether.sources import _repair
from tether.sources._access import Table
from tether.sources._common import expectation_from_requirement, holds, load_toml
from tether.sources._files import exists
from tether.sources.remote import is_remote

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from tether.sources.interface import Selection
    from tether.target import Target

__all__ = ["PyprojectReader", "resolve_groups"]


def _check_groups(table: Table) -> None:
    """PEP 735's shape: each group an array of requirement strings and ``{include-group =
    NAME}`` tables (packaging checks it too, without saying where)."""
    for group in table.data:
        for i, item in enumerate(table.array(group)):
            key = f"{table.key(group)}[{i}]"
            if isinstance(item, dict):
                include = Table(item, key, table.syntax)
                include.required("include-group", str)
                if len(item) != 1:
                    raise include.error("expected only 'include-group' in an include")
            elif not isinstance(item, str):
                kind = table.syntax.of(item)
                raise DocumentError(f"expected a requirement string or an include table, got {kind}", key=key)


def resolve_groups(table: Table, groups: Iterable[str]) -> list[tuple[str, str]]:
    """Expand PEP 735 groups (with ``include-group``) into ``(group, requirement)`` pairs.

    :raises DocumentError: for an unknown group, a cycle or a malformed table.
    """
    _check_groups(table)
    known = {canonicalize_name(g) for g in table.data}
    result: list[tuple[str, str]] = []
    try:
        resolver = DependencyGroupResolver(table.data)
        for group in groups:
            if canonicalize_name(group) not in known:
                msg = f"no dependency group {group!r} (it has: {', '.join(sorted(table.data)) or 'none'})"
                raise table.error(msg)
            result.extend((group, str(req)) for req in resolver.resolve(group))
    except DocumentError:
        raise
    except RecursionError:
        # packaging follows include-group chains recursively.
        raise table.error("invalid dependency groups: include-group chains nested too deeply") from None
    except ExceptionGroup as group:
        # packaging collects every problem of a table; the first one is named.
        first = str(group.exceptions[0]).splitlines()[0]
        raise table.error(f"invalid dependency groups: {first}") from group
    except (
        CyclicDependencyGroup,
        DuplicateGroupNames,
        InvalidDependencyGroupObject,
        InvalidRequirement,
        TypeError,
        ValueError,
    ) as e:
        raise table.error(f"invalid dependency groups: {str(e).splitlines()[0]}") from e
    return result


def _requirements(table: Table, name: str) -> list[tuple[str, Requirement]]:
    """The array of PEP 508 strings under *name*, each with its key path."""
    key = table.key(name)
    result = []
    for i, text in enumerate(table.strings(name)):
        try:
            result.append((f"{key}[{i}]", Requirement(text)))
        except InvalidRequirement as e:
            reason = str(e).splitlines()[0]
            raise DocumentError(f"invalid requirement {text!r}: {reason}", key=f"{key}[{i}]") from e
    return result


def _extras(optional: Table, name: NormalizedName, selection: Selection) -> list[tuple[str, Requirement]]:
    """The requirements of the extras *selection* asks for (``[project.optional-dependencies]``
    is *optional*), with those an extra pulls in by naming the project itself (``name[other]``).

    :raises DocumentError: for an extra the project does not have.
    """
    by_extra = {canonicalize_name(k): k for k in optional.data}
    wanted = list(by_extra) if selection.all_extras else [canonicalize_name(e) for e in selection.extras]
    items: list[tuple[str, Requirement]] = []
    seen: set[NormalizedName] = set()
    while wanted:
        extra = wanted.pop()
        if extra in seen:
            continue
        seen.add(extra)
        if extra not in by_extra:
            msg = f"no extra {extra!r} (it has: {', '.join(sorted(optional.data)) or 'none'})"
            raise optional.error(msg)
        for key, req in _requirements(optional, by_extra[extra]):
            if canonicalize_name(req.name) == name:
                # A self-reference (``project[other]``) pulls in the other extras.
                wanted.extend(canonicalize_name(e) for e in req.extras)
            else:
                items.append((key, req))
    return items


class PyprojectReader:
    """``pyproject.toml`` (PEP 621 ``[project]`` and PEP 735 ``[dependency-groups]``)."""

    format = "pyproject"

    def read(self, text: str, *, path: Path, display: str, target: Target, selection: Selection) -> Bound:
        """Read the direct dependencies (plus selected extras and groups) for *target*."""
        data = load_toml(text)
        project = data.table("project")
        if not project.data:
            raise DocumentError("no [project] table; expected PEP 621 project metadata")
        if "dependencies" in project.strings("dynamic"):
            msg = "[project].dependencies is dynamic; validate against a lock file instead"
            raise project.error(msg, "dynamic")
        name = canonicalize_name(project.get("name", str) or "")
        items = _requirements(project, "dependencies")
        optional = project.table("optional-dependencies")
        by_extra = {canonicalize_name(k): k for k in optional.data}
        items += _extras(optional, name, selection)
        groups = [*selection.groups, *selection.only_groups]
        for group, text_req in resolve_groups(data.table("dependency-groups"), groups):
            items.append((f"dependency-groups.{group}", Requirement(text_req)))
        if selection.only_groups:
            items = [(k, r) for k, r in items if k.startswith("dependency-groups.")]
        env = target.marker_env()
        expectations: list[Expectation] = []
        for key, req in items:
            if req.marker is not None and not holds(req.marker, env, key=key):
                continue
            expectations.append(
                expectation_from_requirement(req, origin=f"{display}: {key}", base=path.parent)
            )
        repair, strays = _repairs(path, display, target, selection, sorted(by_extra))
        return Bound(
            path=display,
            format=self.format,
            expectations=tuple(expectations),
            follows=True,
            allowed=frozenset({name}) if name else frozenset(),
            repair=repair,
            repair_strays=strays,
            files=(str(path),),
        )


def _repairs(
    path: Path, display: str, target: Target, selection: Selection, all_extras: list[str]
) -> tuple[str, str]:
    """The repair and strays commands for a project: its lock's sync when it has one
    (which installs exactly what the lock selects for the project's dependencies, extras
    and groups, and removes the rest), else pip's install of the project and uninstall of
    the rest. uv and poetry install their own default groups (uv's ``dev``, poetry's
    non-optional groups), which a pyproject bound does not select: they are turned off."""
    extras = all_extras if selection.all_extras else list(selection.extras)
    if exists(path.parent / "uv.lock"):
        flags = ["--all-extras"] if selection.all_extras else [f"--extra {shlex.quote(e)}" for e in extras]
        if selection.only_groups:
            flags += [f"--only-group {shlex.quote(g)}" for g in selection.only_groups]
        else:
            flags += ["--no-default-groups", *(f"--group {shlex.quote(g)}" for g in selection.groups)]
        return _repair.uv_sync(target, path.parent, flags), ""
    if exists(path.parent / "poetry.lock"):
        groups = selection.only_groups or ("main", *selection.groups)
        flags = [f"--only {shlex.quote(g)}" for g in groups]
        flags += ["--all-extras"] if selection.all_extras else [f"--extras {shlex.quote(e)}" for e in extras]
        return _repair.poetry_sync(target, path.parent, flags), ""
    # The project as the bound was named (relative to where it is run).
    manifest = "pyproject.toml" if is_remote(display) else display
    project = (os.path.dirname(manifest) or ".") + (f"[{','.join(extras)}]" if extras else "")
    args = [] if selection.only_groups else ["-e", shlex.quote(project)]
    # pip 25.1+: --group [PATH:]NAME, PATH naming the pyproject.toml.
    args += [f"--group {shlex.quote(f'{manifest}:{g}')}" for g in (*selection.groups, *selection.only_groups)]
    return _repair.pip(target, "install", *args), _repair.pip_uninstall(target)
