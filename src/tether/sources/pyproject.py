"""``pyproject.toml``: PEP 621 dependencies, optional dependencies and PEP 735 groups.

A pyproject names direct dependencies (usually as ranges), not what is installed, so
the bound it gives is not complete: the installed ``Requires-Dist`` of what it names are
followed, as ``pip install .`` would install them. The project itself may be installed
(``pip install -e .``) without being listed. No dependency group is selected unless
asked for with ``--group`` (pip's behaviour; uv's ``dev`` default belongs to uv.lock).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from packaging.dependency_groups import (
    CyclicDependencyGroup,
    DependencyGroupResolver,
    DuplicateGroupNames,
    InvalidDependencyGroupObject,
)
from packaging.errors import ExceptionGroup
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from tether.errors import BoundError
from tether.models import Bound, Expectation
from tether.sources._common import expectation_from_requirement, get_table, load_toml

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from tether.sources.interface import Selection
    from tether.target import Target

__all__ = ["PyprojectReader", "resolve_groups"]


def resolve_groups(table: dict[str, Any], groups: Iterable[str], display: str) -> list[tuple[str, str]]:
    """Expand PEP 735 groups (with ``include-group``) into ``(group, requirement)`` pairs.

    :raises BoundError: for an unknown group, a cycle or a malformed table.
    """
    known = {canonicalize_name(g) for g in table}
    result: list[tuple[str, str]] = []
    try:
        resolver = DependencyGroupResolver(table)
        for group in groups:
            if canonicalize_name(group) not in known:
                msg = f"no dependency group {group!r} (it has: {', '.join(sorted(table)) or 'none'})"
                raise BoundError(display, msg, key="dependency-groups")
            result.extend((group, str(req)) for req in resolver.resolve(group))
    except BoundError:
        raise
    except ExceptionGroup as group:
        # packaging collects every problem of a table; the first one is named.
        first = group.exceptions[0]
        raise BoundError(display, f"invalid dependency groups: {first}", key="dependency-groups") from group
    except (
        CyclicDependencyGroup,
        DuplicateGroupNames,
        InvalidDependencyGroupObject,
        InvalidRequirement,
        TypeError,
        ValueError,
    ) as e:
        raise BoundError(display, f"invalid dependency groups: {e}", key="dependency-groups") from e
    return result


def _requirement(text: object, display: str, key: str) -> Requirement:
    if not isinstance(text, str):
        raise BoundError(display, f"expected a PEP 508 string, got {text!r}", key=key)
    try:
        return Requirement(text)
    except InvalidRequirement as e:
        reason = str(e).splitlines()[0]
        raise BoundError(display, f"invalid requirement {text!r}: {reason}", key=key) from e


class PyprojectReader:
    """``pyproject.toml`` (PEP 621 ``[project]`` and PEP 735 ``[dependency-groups]``)."""

    format = "pyproject"

    def read(self, text: str, *, path: Path, display: str, target: Target, selection: Selection) -> Bound:
        """Read the direct dependencies (plus selected extras and groups) for *target*."""
        data = load_toml(text, display)
        project = get_table(data, "project", display)
        if not project:
            raise BoundError(display, "no [project] table; expected PEP 621 project metadata")
        if "dependencies" in project.get("dynamic", []):
            msg = "[project].dependencies is dynamic; validate against a lock file instead"
            raise BoundError(display, msg, key="project.dynamic")
        name = canonicalize_name(str(project.get("name", "")))
        deps = project.get("dependencies", [])
        if not isinstance(deps, list):
            raise BoundError(display, "expected a list of PEP 508 strings", key="project.dependencies")
        items: list[tuple[str, Requirement]] = [
            (f"project.dependencies[{i}]", _requirement(d, display, f"project.dependencies[{i}]"))
            for i, d in enumerate(deps)
        ]
        optional = get_table(project, "optional-dependencies", display)
        by_extra = {canonicalize_name(k): (k, v) for k, v in optional.items()}
        wanted = list(by_extra) if selection.all_extras else [canonicalize_name(e) for e in selection.extras]
        seen: set[NormalizedName] = set()
        while wanted:
            extra = wanted.pop()
            if extra in seen:
                continue
            seen.add(extra)
            if extra not in by_extra:
                msg = f"no extra {extra!r} (it has: {', '.join(sorted(optional)) or 'none'})"
                raise BoundError(display, msg, key="project.optional-dependencies")
            key_name, reqs = by_extra[extra]
            if not isinstance(reqs, list):
                msg = "expected a list of PEP 508 strings"
                raise BoundError(display, msg, key=f"project.optional-dependencies.{key_name}")
            for i, d in enumerate(reqs):
                key = f"project.optional-dependencies.{key_name}[{i}]"
                req = _requirement(d, display, key)
                if canonicalize_name(req.name) == name:
                    # A self-reference (``project[other]``) pulls in the other extras.
                    wanted.extend(canonicalize_name(e) for e in req.extras)
                else:
                    items.append((key, req))
        groups = [*selection.groups, *selection.only_groups]
        table = get_table(data, "dependency-groups", display)
        for group, text_req in resolve_groups(table, groups, display):
            items.append((f"dependency-groups.{group}", _requirement(text_req, display, group)))
        if selection.only_groups:
            items = [(k, r) for k, r in items if k.startswith("dependency-groups.")]
        env = target.marker_env()
        expectations: list[Expectation] = []
        for key, req in items:
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            expectations.append(
                expectation_from_requirement(req, origin=f"{display}: {key}", base=path.parent)
            )
        return Bound(
            path=display,
            format=self.format,
            expectations=tuple(expectations),
            follow="check",
            allowed=frozenset({name}) if name else frozenset(),
            repair="pip install -e .",
            files=(str(path),),
        )
