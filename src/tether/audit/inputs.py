"""What ``tether audit`` audits: an environment, a lock, or named packages.

- **An environment** (``--python``, or the target ``validate`` finds): every distribution
  installed in the target's site directories, the first of each name on ``sys.path``
  (the one imported), read by the scan ``validate`` runs.
- **A lock** (``--lock``): the packages the bound selects for a target, read by the
  bound readers ``validate`` uses (markers, extras, groups, pixi environments). No
  environment is read, but markers need an interpreter: the target interpreter, found
  as ``validate`` finds it (``--python``, the active virtualenv, ``.venv``, ``python3``),
  is asked for its marker environment only. Only pins can be audited: an entry with a
  range (a ``pyproject.toml`` dependency, a requirements line ``>=``) is skipped and said
  so; conda packages (pixi) are not PyPI packages and are skipped too.
- **Named packages** (``--package NAME==VERSION``, repeatable).

In every case a distribution from a local directory (an editable or ``pip install .``
project, PEP 610 ``dir_info``) is skipped: it is not a PyPI release, and its name may
be another project's on PyPI. A distribution whose version is not PEP 440 is skipped.
``--pattern GLOB`` (repeatable) keeps the packages whose normalized name matches one of
the patterns (``fnmatch``, after the same normalization: ``Django*`` matches ``django``).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.utils import InvalidName, canonicalize_name

from tether.audit import Package, Skipped
from tether.audit.osv import parse_version

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tether.sources.interface import Selection

__all__ = ["Inputs", "from_environment", "from_lock", "from_specs", "narrow"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Inputs:
    """The packages to audit, those skipped, and where they came from."""

    packages: tuple[Package, ...]
    skipped: tuple[Skipped, ...] = ()
    python: str | None = None
    lock: str | None = None
    notes: tuple[str, ...] = ()


def _package(name: str, version: str, local: bool) -> Package | Skipped:
    if local:
        return Skipped(
            name=name, version=version, reason="installed from a local directory, not a PyPI release"
        )
    if parse_version(version) is None:
        return Skipped(name=name, version=version or None, reason=f"version {version!r} is not PEP 440")
    return Package(name=name, version=version)


def _split(items: Sequence[Package | Skipped]) -> tuple[tuple[Package, ...], tuple[Skipped, ...]]:
    return (
        tuple(i for i in items if isinstance(i, Package)),
        tuple(i for i in items if isinstance(i, Skipped)),
    )


def from_environment(python: str | None) -> Inputs:
    """The installed distributions of the target's environment.

    :raises TargetError: when the target interpreter cannot be found or asked.
    """
    from tether.installed import scan
    from tether.target import query_target

    target = query_target(python)
    installed = scan(target.sites)
    items: list[Package | Skipped] = []
    seen: set[str] = set()
    for dist in installed.dists:
        if dist.name in seen:
            continue  # shadowed: the first on sys.path is the one imported
        seen.add(dist.name)
        local = bool(dist.source) and dist.source[0] == "dir"
        if dist.problem is not None and dist.key is None:
            items.append(Skipped(name=dist.name, version=dist.version or None, reason=dist.problem))
        else:
            items.append(_package(dist.name, dist.version, local))
    packages, skipped = _split(items)
    return Inputs(packages=packages, skipped=skipped, python=target.executable)


def from_lock(lock: str, python: str | None, selection: Selection, *, timeout: float) -> Inputs:
    """The packages *lock* selects for the target interpreter (its markers only).

    :raises BoundError: when the lock cannot be read.
    :raises TargetError: when the target interpreter cannot be found or asked.
    """
    from tether.models import describe_expectation
    from tether.sources import load_bound
    from tether.target import query_target
    from tether.validate import merged

    target = query_target(python)
    bound = load_bound(lock, target, selection, timeout=timeout)
    items: list[Package | Skipped] = []
    for exp in merged(bound.expectations).values():
        pins = [s for s in exp.specifier if s.operator in {"==", "==="} and not s.version.endswith(".*")]
        local = exp.source is not None and exp.source.kind == "directory"
        if len(pins) == 1 or local:
            items.append(_package(exp.name, pins[0].version if pins else "", local))
        else:
            reason = f"not pinned ({describe_expectation(exp)}): audit the environment instead"
            items.append(Skipped(name=exp.name, version=None, reason=reason))
    items += [
        Skipped(name=c.name, version=describe_expectation(c), reason="a conda package") for c in bound.conda
    ]
    packages, skipped = _split(items)
    return Inputs(packages=packages, skipped=skipped, python=target.executable, lock=bound.path,
                  notes=bound.notes)  # fmt: skip


def from_specs(specs: Sequence[str]) -> Inputs:
    """``NAME==VERSION`` arguments as packages.

    :raises ValueError: naming the first that is not of that form.
    """
    packages = []
    for spec in specs:
        name, sep, version = spec.partition("==")
        name, version = name.strip(), version.strip()
        if not sep or not name or parse_version(version) is None or "=" in version:
            msg = f"--package: expected NAME==VERSION with a PEP 440 version, got {spec!r}"
            raise ValueError(msg)
        try:
            # A name no package can have ("requests[socks]") is about no advisory: it
            # would pass the audit whatever the package it was meant for carries.
            canonical = canonicalize_name(name, validate=True)
        except InvalidName:
            msg = f"--package: expected NAME==VERSION, got {spec!r}: {name!r} is not a valid package name"
            raise ValueError(msg) from None
        packages.append(Package(name=canonical, version=version))
    return Inputs(packages=tuple(packages))


def narrow(inputs: Inputs, patterns: Sequence[str]) -> Inputs:
    """Only the packages (audited or skipped) whose name matches one of *patterns*."""
    if not patterns:
        return inputs
    globs = [canonicalize_name(p.replace("*", "\0").replace("?", "\1")).replace("\0", "*").replace("\1", "?")
             for p in patterns]  # fmt: skip

    def keep(name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, g) for g in globs)

    return Inputs(
        packages=tuple(p for p in inputs.packages if keep(p.name)),
        skipped=tuple(s for s in inputs.skipped if keep(s.name)),
        python=inputs.python,
        lock=inputs.lock,
        notes=inputs.notes,
    )
