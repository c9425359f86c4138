"""A requirements file from what is installed, in one environment or many.

Each environment contributes what its interpreter can import (its own distributions,
then those of the base it inherits with ``--system-site-packages``); a base read only
because a venv inherits it is not an environment of its own here. For each name, the
versions found are turned into a specifier by the *anchor*:

- ``exact``: ``==V`` (when environments of one Python version hold different versions,
  ``>=LOW,<=HIGH``, and a note says so: no one pin fits both);
- ``lower``: ``>=LOW``; ``upper``: ``<=HIGH``;
- ``range``: ``>=LOW,<NEXT``, NEXT the next release that may break (the next major
  ``X+1``; for ``0.Y``, ``0.(Y+1)``).

Where environments of different Python versions disagree (another specifier, or the name
absent from some), one line per specifier carries a marker naming the Python versions it
is for (``python_version == "3.11"``, joined with ``or``); where they all agree, the
line has no marker. A name that some environments of one Python version hold and others
of the same version lack cannot be told apart by a marker: it is written, and one note
counts such names (those environments validate with ``--subset``). Every line is parsed
with ``packaging`` before it is written. A distribution whose metadata is broken, whose
name is not a valid one (PEP 508), or whose version is not PEP 440, is left out with a
note; one installed from a URL or a directory (PEP 610) is pinned by version with a
note, since a requirements line cannot say both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from tether.inventory.models import Inventory

__all__ = ["ANCHORS", "Anchor", "Derived", "derive"]

Anchor = Literal["exact", "lower", "upper", "range"]
ANCHORS: tuple[Anchor, ...] = ("exact", "lower", "upper", "range")


@dataclass(frozen=True, slots=True, kw_only=True)
class Derived:
    """The requirements, and what could not be said in them."""

    requirements: tuple[Requirement, ...]
    notes: tuple[str, ...]

    def text(self, header: str = "") -> str:
        """The requirements file: a comment header, one requirement a line."""
        lines = [f"# {line}" for line in header.splitlines()]
        lines += [str(r) for r in self.requirements]
        return "\n".join(lines) + "\n"


def _next_break(version: Version) -> str:
    """The next release that may break *version*, in its epoch (``1!2.0`` -> ``1!3``:
    a bare ``3`` is epoch 0, lower than every ``1!`` version)."""
    epoch = f"{version.epoch}!" if version.epoch else ""
    major = version.release[0]
    if major == 0 and len(version.release) > 1:
        return f"{epoch}0.{version.release[1] + 1}"
    return f"{epoch}{major + 1}"


def _specifier(versions: set[Version], anchor: Anchor) -> SpecifierSet:
    """The specifier *anchor* makes of *versions*. ``==`` keeps a local label
    (``==1.0+cpu``); the ordered operators may not carry one (PEP 440), and ignore the
    candidate's, so they take the public version (``>=1.0`` holds for ``1.0+cpu``)."""
    if anchor == "exact" and len(versions) == 1:
        return SpecifierSet(f"=={min(versions)}")
    low, high = Version(min(versions).public), Version(max(versions).public)
    if anchor == "exact":
        return SpecifierSet(f"=={low}" if low == high else f">={low},<={high}")
    if anchor == "lower":
        return SpecifierSet(f">={low}")
    if anchor == "upper":
        return SpecifierSet(f"<={high}")
    return SpecifierSet(f">={low},<{_next_break(high)}")


def _marker(minors: list[str]) -> Marker:
    ordered = sorted(minors, key=lambda m: [int(p) for p in m.split(".")])
    return Marker(" or ".join(f'python_version == "{m}"' for m in ordered))


def _collect(inventory: Inventory, notes: list[str]) -> tuple[dict[str, dict[str, set[Version]]], set[str]]:
    """``{name: {X.Y: versions}}`` over the environments, and every ``X.Y`` seen."""
    found: dict[str, dict[str, set[Version]]] = {}
    minors: set[str] = set()
    for env in inventory.environments:
        if env.inherited_only:
            continue  # its distributions count with the venvs that import them
        if not env.python_minor:
            notes.append(f"{env.prefix}: left out (its Python version is unknown)")
            continue
        minors.add(env.python_minor)
        for dist in inventory.visible(env):
            if dist.problem is not None:
                notes.append(f"{dist.path}: left out ({dist.problem})")
                continue
            try:
                canonicalize_name(dist.name, validate=True)
            except InvalidName:
                notes.append(f"{dist.path}: left out (name {dist.name!r} is not a valid distribution name)")
                continue
            try:
                version = Version(dist.version)
            except InvalidVersion:
                notes.append(f"{dist.path}: left out (version {dist.version!r} is not PEP 440)")
                continue
            if dist.source:
                notes.append(f"{dist.name}: installed from {dist.source}; pinned by version only")
            found.setdefault(dist.name, {}).setdefault(env.python_minor, set()).add(version)
    return found, minors


def _partial(inventory: Inventory, found: dict[str, dict[str, set[Version]]]) -> list[str]:
    """The names that some environments of a Python version hold and others of the same
    version do not (a marker cannot tell those environments apart)."""
    envs: dict[str, int] = {}
    holders: dict[tuple[str, str], int] = {}
    for env in inventory.environments:
        if env.inherited_only or not env.python_minor:
            continue
        envs[env.python_minor] = envs.get(env.python_minor, 0) + 1
        for name in {d.name for d in inventory.visible(env)} & found.keys():
            holders[name, env.python_minor] = holders.get((name, env.python_minor), 0) + 1
    return sorted({name for (name, minor), count in holders.items() if count < envs[minor]})


def derive(inventory: Inventory, anchor: Anchor = "exact") -> Derived:
    """The requirements for the environments of *inventory* (see the module): every one
    satisfies them but for the names a note says some environments lack."""
    notes: list[str] = []
    found, minors = _collect(inventory, notes)
    requirements = []
    for name in sorted(found):
        by_spec: dict[str, list[str]] = {}
        for minor, versions in found[name].items():
            specifier = _specifier(versions, anchor)
            if anchor == "exact" and len(versions) > 1:
                shown = ", ".join(str(v) for v in sorted(versions))
                notes.append(f"{name}: environments of Python {minor} hold {shown}; written as {specifier}")
            by_spec.setdefault(str(specifier), []).append(minor)
        for spec, spec_minors in sorted(by_spec.items(), key=lambda item: sorted(item[1])):
            marker = "" if len(by_spec) == 1 and set(spec_minors) == minors else f"; {_marker(spec_minors)}"
            requirements.append(Requirement(f"{name}{spec}{marker}"))
    partial = _partial(inventory, found)
    if partial:
        shown = ", ".join(partial[:5]) + (f" and {len(partial) - 5} more" if len(partial) > 5 else "")
        notes.append(
            f"{len(partial)} named here are missing from some environments of the same Python version "
            f"({shown}); those environments satisfy the file with --subset"
        )
    return Derived(requirements=tuple(requirements), notes=tuple(dict.fromkeys(notes)))
