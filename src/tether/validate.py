"""Compare what a bound expects with what is installed: pure functions, no I/O.

The comparison itself is the runtime's (:func:`tether.runtime.compare.compare`), the
one the start-up check runs. This module *compiles* a bound into the expectation that
function takes (plain data: pins as PEP 440 keys, sources as keys, ranges as text), and
widens it first where a bound lists direct dependencies alone (the closure of installed
``Requires-Dist``, which needs ``packaging``'s markers).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from packaging.utils import NormalizedName, canonicalize_name

from tether.models import Bound, Expectation, Installed, describe_expectation
from tether.report import Record, record_from_finding
from tether.runtime import compare as _compare
from tether.runtime import versions

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping

    from packaging.specifiers import SpecifierSet

    from tether.runtime.scan import Dist


__all__ = ["BOOTSTRAP", "compile_expectation", "expand_closure", "validate"]

#: May be present without being listed, in every environment: pip is the installer that
#: bootstraps most environments (``python -m venv`` seeds it) and few bounds list it.
#: A bound that does list it (``pip-compile --allow-unsafe``, ``uv export``) has it checked
#: like any other package.
BOOTSTRAP: frozenset[NormalizedName] = frozenset({NormalizedName("pip")})


def _merge(a: Expectation, b: Expectation) -> Expectation:
    return Expectation(
        name=a.name,
        specifier=a.specifier & b.specifier,
        source=a.source or b.source,
        extras=a.extras | b.extras,
        origin=a.origin or b.origin,
    )


def merged(expectations: Iterable[Expectation]) -> dict[NormalizedName, Expectation]:
    """One expectation per name: specifiers intersected, extras united."""
    out: dict[NormalizedName, Expectation] = {}
    for exp in expectations:
        out[exp.name] = _merge(out[exp.name], exp) if exp.name in out else exp
    return out


def _marker_holds(req: Any, environment: Mapping[str, str], extras: Iterable[str]) -> bool:
    if req.marker is None:
        return True
    for extra in ("", *extras):
        try:
            if req.marker.evaluate({**environment, "extra": extra}):
                return True
        except Exception:  # noqa: BLE001, S112 - installed metadata from elsewhere: a marker
            # comparing a version with a non-version (``python_version ~= "abc"``) holds for no one.
            continue
    return False


def expand_closure(
    expectations: Mapping[NormalizedName, Expectation],
    installed: Installed,
    environment: Mapping[str, str],
) -> dict[NormalizedName, Expectation]:
    """Add what installed packages require, following ``Requires-Dist`` from *expectations*.

    This is what ``pip install`` would have installed for a bound that lists only direct
    dependencies: each requirement whose marker holds for the target (with the extras
    asked of its parent) is expected, with the parent's version range.
    """
    winners: dict[str, Dist] = {}
    for found in installed.dists:
        winners.setdefault(found.name, found)
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
        for req in installed.requires.get(dist.path, ()):
            if not _marker_holds(req, environment, exp.extras):
                continue
            # A Requires-Dist URL is not followed: the version range is what is checked.
            dep = Expectation.from_requirement(req, origin=f"required by {name}")
            previous = result.get(dep.name)
            new = dep if previous is None else _merge(previous, dep)
            if new != previous:
                result[dep.name] = new
                queue.append(dep.name)
    return result


def _check(specifier: SpecifierSet) -> tuple[Any, ...] | None:
    """A version check of :mod:`tether.runtime.compare` for *specifier*.

    A pin (``==V``, no wildcard) is compared by key in the runtime. So is a pin
    intersected with ranges that ``V`` itself satisfies (a pinned package that another
    one requires at ``>=``), since what equals ``V`` satisfies them too; the check keeps
    the whole specifier as its text.
    """
    specs = list(specifier)
    if not specs:
        return None
    pins = [s for s in specs if s.operator == "==" and not s.version.endswith(".*")]
    if len(pins) == 1:
        key = versions.key(pins[0].version)
        if key is not None and specifier.contains(pins[0].version, prereleases=True):
            return ("==", str(specifier), key)
    return ("spec", str(specifier))


def compile_expectation(
    expected: Iterable[Expectation],
    *,
    allowed: Iterable[str] = (),
    conda: Iterable[Expectation] = (),
    ignore: Collection[str] = (),
    superset: bool = False,
    subset: bool = False,
) -> dict[str, Any]:
    """The expectation :func:`tether.runtime.compare.compare` takes (plain, ``marshal``-able data)."""
    return {
        "expected": {
            exp.name: (
                _check(exp.specifier),
                describe_expectation(exp),
                exp.source.key() if exp.source is not None else None,
            )
            for exp in merged(expected).values()
        },
        "allowed": sorted(set(allowed)),
        "conda": {exp.name: (_check(exp.specifier), describe_expectation(exp)) for exp in conda},
        "ignored": sorted({canonicalize_name(n) for n in ignore}),
        "superset": superset,
        "subset": subset,
    }


def expectation_for(
    bound: Bound,
    installed: Installed | None,
    *,
    environment: Mapping[str, str],
    superset: bool = False,
    subset: bool = False,
    ignore: Collection[str] = (),
    frozen: bool = False,
) -> dict[str, Any]:
    """Compile *bound* for one target; *installed* (with ``Requires-Dist``) widens it for
    bounds that follow it (:attr:`Bound.follows`) and may be ``None`` for the others.

    :param frozen: leave out whether the lock still matches its project file (uv's
        ``--frozen``): a stale lock is then not a finding.
    """
    expected = merged(bound.expectations)
    followed: dict[str, Any] = {}
    if installed is not None and bound.follows:
        expected = expand_closure(expected, installed, environment)
        followed = _followed(expected, installed)
    expect = compile_expectation(
        expected.values(),
        allowed=bound.allowed | BOOTSTRAP,
        conda=bound.conda,
        ignore=ignore,
        superset=superset,
        subset=subset,
    )
    expect["follows"] = bound.follows
    expect["followed"] = followed
    if bound.stale and not frozen:
        # Named by the lock's file name, which is the format's name for every format
        # that has a project file to compare with (uv.lock, poetry.lock, Pipfile.lock).
        expect["stale"] = (bound.format, bound.stale)
    return expect


def _followed(expected: Mapping[NormalizedName, Expectation], installed: Installed) -> dict[str, Any]:
    """The metadata directory of each installed package whose ``Requires-Dist`` widened
    the expectation, with its stamp: an upgrade or a reinstall replaces it, and may change
    what is required even where the expectation still holds (a dependency expected at any
    version), so :func:`tether.runtime.compare.settled` hands such a change to tether."""
    from tether.runtime.scan import stamp

    winners: dict[str, Dist] = {}
    for dist in installed.dists:
        winners.setdefault(dist.name, dist)
    return {winners[name].path: stamp(winners[name].path) for name in expected if name in winners}


def contains(specifier: str, version: str) -> bool:
    """Whether *version* satisfies *specifier*, installed pre-releases included."""
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(specifier).contains(version, prereleases=True)


def judge(expect: Mapping[str, Any], installed: Installed) -> tuple[Record, ...]:
    """The one comparison, on a compiled expectation; an empty tuple means valid."""
    findings = _compare.compare(
        dict(expect), installed.dists, installed.leftovers, installed.conda, contains=contains
    )
    return tuple(record_from_finding(f) for f in findings)


def validate(
    bound: Bound,
    installed: Installed,
    *,
    environment: Mapping[str, str],
    superset: bool = False,
    subset: bool = False,
    ignore: Collection[str] = (),
) -> tuple[Record, ...]:
    """Return every way *installed* differs from *bound*; an empty tuple means valid.

    :param environment: the target's marker environment, used to follow ``Requires-Dist``
        (read into *installed*) when the bound asks for it (:attr:`Bound.follows`).
    :param superset: packages the bound does not name are allowed.
    :param subset: packages the bound names may be absent.
    :param ignore: names neither checked nor reported.
    """
    expect = expectation_for(
        bound, installed, environment=environment, superset=superset, subset=subset, ignore=ignore
    )
    return judge(expect, installed)
