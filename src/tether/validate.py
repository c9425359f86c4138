"""Compare what a bound expects with what is installed: a pure function, no I/O."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import replace
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from tether.models import (
    STATUSES,
    Bound,
    Expectation,
    Installed,
    InstalledDist,
    Record,
    describe_expectation,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping


__all__ = ["DEFAULT_IGNORE", "expand_closure", "validate"]

#: Ignored unless the user says otherwise: pip is the installer that bootstraps every
#: environment (``python -m venv`` seeds it) and few lock files list it.
DEFAULT_IGNORE: frozenset[NormalizedName] = frozenset({NormalizedName("pip")})


def _merge(a: Expectation, b: Expectation) -> Expectation:
    return Expectation(
        name=a.name,
        specifier=a.specifier & b.specifier,
        source=a.source or b.source,
        extras=a.extras | b.extras,
        origin=a.origin or b.origin,
    )


def expand_closure(
    expectations: Mapping[NormalizedName, Expectation],
    winners: Mapping[NormalizedName, InstalledDist],
    environment: Mapping[str, str],
) -> dict[NormalizedName, Expectation]:
    """Add what installed packages require, following ``Requires-Dist`` from *expectations*.

    This is what ``pip install`` would have installed for a bound that lists only direct
    dependencies: each requirement whose marker holds for the target (with the extras
    asked of its parent) is expected, with the parent's version range.
    """
    result = dict(expectations)
    queue = deque(result)
    seen_extras: dict[NormalizedName, frozenset[NormalizedName]] = {}
    while queue:
        name = queue.popleft()
        exp = result[name]
        dist = winners.get(name)
        if dist is None or seen_extras.get(name) == exp.extras:
            continue
        seen_extras[name] = exp.extras
        for req in dist.requires:
            if req.marker is not None and not any(
                req.marker.evaluate({**environment, "extra": extra}) for extra in ("", *exp.extras)
            ):
                continue
            dep = Expectation(
                name=canonicalize_name(req.name),
                specifier=req.specifier,
                extras=frozenset(canonicalize_name(e) for e in req.extras),
                origin=f"required by {name}",
            )
            previous = result.get(dep.name)
            merged = dep if previous is None else _merge(previous, dep)
            if merged != previous:
                result[dep.name] = merged
                queue.append(dep.name)
    return result


def _installed_records(
    installed: Installed,
) -> tuple[dict[NormalizedName, InstalledDist], list[Record]]:
    by_name: dict[NormalizedName, list[InstalledDist]] = defaultdict(list)
    for dist in installed.dists:
        by_name[dist.name].append(dist)
    winners: dict[NormalizedName, InstalledDist] = {}
    records: list[Record] = []
    for name, dists in by_name.items():
        # The first on sys.path is the one imported, as pip and importlib.metadata take it.
        winners[name] = dists[0]
        if len(dists) > 1:
            sites = tuple(d.site for d in dists)
            same_site = len(set(sites)) < len(sites)
            records.append(
                Record(
                    name=name,
                    status="duplicate" if same_site else "shadowed",
                    installed=dists[0].raw_version or None,
                    expected=None,
                    sites=sites,
                    detail=", ".join(f"{d.raw_version or '?'} in {d.path}" for d in dists),
                )
            )
        for dist in dists:
            if dist.problem is not None:
                records.append(
                    Record(
                        name=name,
                        status="invalid",
                        installed=dist.raw_version or None,
                        expected=None,
                        sites=(dist.site,),
                        detail=f"{dist.path}: {dist.problem}",
                    )
                )
    records.extend(
        Record(
            name=left.name,
            status="leftover",
            installed=None,
            expected=None,
            sites=(left.site,),
            detail=f"{left.path}: left behind by an interrupted install; remove it",
        )
        for left in installed.leftovers
    )
    return winners, records


def _conda_records(
    bound: Bound, installed: Installed, *, subset: bool, superset: bool, ignored: set[NormalizedName]
) -> list[Record]:
    """Conda packages (pixi.lock) against the environment's conda-meta records."""
    if not bound.conda:
        return []
    have = {r.name: r for r in installed.conda}
    out: list[Record] = []
    for exp in bound.conda:
        record = have.get(exp.name)
        if exp.name in ignored:
            continue
        if record is None:
            if not subset:
                out.append(
                    Record(
                        name=exp.name,
                        status="missing",
                        installed=None,
                        expected=describe_expectation(exp),
                        detail="conda package",
                    )
                )
        elif not exp.specifier.contains(record.version, prereleases=True):
            out.append(
                Record(
                    name=exp.name,
                    status="mismatch",
                    installed=record.version,
                    expected=describe_expectation(exp),
                    sites=(record.path,),
                    detail="conda package",
                )
            )
    if not superset:
        wanted = {e.name for e in bound.conda} | ignored
        out.extend(
            Record(
                name=r.name,
                status="unexpected",
                installed=r.version,
                expected=None,
                sites=(r.path,),
                detail="conda package",
            )
            for r in installed.conda
            if r.name not in wanted
        )
    return out


def validate(
    bound: Bound,
    installed: Installed,
    *,
    environment: Mapping[str, str],
    superset: bool = False,
    subset: bool = False,
    ignore: Collection[str] = DEFAULT_IGNORE,
) -> tuple[Record, ...]:
    """Return every way *installed* differs from *bound*; an empty tuple means valid.

    :param environment: the target's marker environment, used to follow ``Requires-Dist``
        (read into *installed*) when the bound asks for it (:attr:`Bound.follow`).
    :param superset: packages the bound does not name are allowed.
    :param subset: packages the bound names may be absent.
    :param ignore: names neither checked nor reported.
    """
    ignored = {canonicalize_name(n) for n in ignore}
    if installed.conda or bound.conda:
        # What conda installed is compared with the conda records below, not here.
        owned = {p for record in installed.conda for p in record.owns}
        installed = replace(installed, dists=tuple(d for d in installed.dists if d.path not in owned))
    winners, records = _installed_records(installed)
    expected: dict[NormalizedName, Expectation] = {}
    for exp in bound.expectations:
        expected[exp.name] = _merge(expected[exp.name], exp) if exp.name in expected else exp
    required: dict[NormalizedName, Expectation] = {}
    if bound.follow == "check":
        expected = expand_closure(expected, winners, environment)
    elif bound.follow == "allow":
        required = expand_closure(expected, winners, environment)

    for name, exp in expected.items():
        if name in ignored:
            continue
        dist = winners.get(name)
        if dist is None:
            if not subset:
                records.append(
                    Record(
                        name=name,
                        status="missing",
                        installed=None,
                        expected=describe_expectation(exp),
                        origin=exp.origin,
                    )
                )
            continue
        if dist.version is None:
            continue  # already reported as invalid
        detail = ""
        if not exp.specifier.contains(dist.version, prereleases=True):
            detail = f"{dist.raw_version} does not satisfy {exp.specifier}"
        elif exp.source is not None:
            detail = exp.source.mismatch(dist.source) or ""
        if detail:
            records.append(
                Record(
                    name=name,
                    status="mismatch",
                    installed=dist.raw_version,
                    expected=describe_expectation(exp),
                    sites=(dist.site,),
                    detail=detail,
                    origin=exp.origin,
                )
            )

    if not superset:
        allowed = expected.keys() | required.keys() | ignored | bound.tolerated | bound.allowed
        records.extend(
            Record(
                name=name,
                status="unexpected",
                installed=dist.raw_version or None,
                expected=None,
                sites=(dist.site,),
            )
            for name, dist in winners.items()
            if name not in allowed
        )
    records.extend(_conda_records(bound, installed, subset=subset, superset=superset, ignored=ignored))
    order = {status: i for i, status in enumerate(STATUSES)}
    return tuple(sorted(records, key=lambda r: (order[r.status], r.name)))
