"""One validation from start to end: find the target, read the bound, scan, compare.

**The expectation cache.** Reading a bound costs a TOML or YAML parser and
``packaging``; comparing costs neither (:mod:`tether.runtime.compare`). So the
expectation compiled from a bound for a target is kept in :mod:`tether._cache`, keyed by
the options and the target's marker environment and stamped with every file the bound
was read from, and used when the environment changed but the bound did not: then a
check is a scan and a comparison, as in the start-up hook. Only expectations the
runtime judges alone are kept (pins, no ranges, nothing that follows installed
``Requires-Dist``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tether.validate import DEFAULT_IGNORE

if TYPE_CHECKING:
    from tether.formats.interface import Report
    from tether.models import Bound, Installed, Record
    from tether.sources.interface import Selection
    from tether.target import Target

__all__ = ["CheckOptions", "Checked", "check"]


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckOptions:
    """Everything a check depends on besides the file system."""

    python: str | None = None
    lock: str | None = None
    selection: Selection | None = None
    superset: bool = False
    subset: bool = False
    ignore: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_IGNORE))
    #: Reuse what the target interpreter said of itself and compiled expectations (see
    #: :mod:`tether._cache`).
    use_cache: bool = True
    #: Seconds allowed for each network or git operation of a remote bound.
    timeout: float = 30.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Checked:
    """The inputs and outcome of one check, for callers that need more than the report."""

    target: Target
    #: The bound. Restored from the expectation cache, it carries no expectations (its
    #: compiled form is :attr:`expect`) but every other field.
    bound: Bound
    #: The expectation the records were judged against (:mod:`tether.runtime.compare`).
    expect: dict[str, Any]
    #: Whether the runtime can judge :attr:`expect` alone, for any environment.
    certain: bool
    installed: Installed
    report: Report
    #: Stamps of everything the result depends on, for :mod:`tether._cache`.
    stamps: list[tuple[str, object]] = field(default_factory=list)


def _judge_with_requires(
    bound: Bound, installed: Installed, target: Target, options: CheckOptions
) -> tuple[dict[str, Any], Installed, tuple[Record, ...]]:
    from dataclasses import replace

    from tether.installed import scan
    from tether.validate import expectation_for, judge

    def run(inv: Installed) -> tuple[dict[str, Any], tuple[Record, ...]]:
        expect = expectation_for(
            bound,
            inv if inv.requires else None,
            environment=target.markers,
            superset=options.superset,
            subset=options.subset,
            ignore=options.ignore,
        )
        return expect, judge(expect, inv)

    expect, records = run(installed)
    if bound.follow == "allow" and any(r.status == "unexpected" for r in records):
        # Only now is Requires-Dist worth reading: it may excuse what the pins left out.
        rescanned = scan(target.sites, with_requires=True)
        installed = replace(
            installed, dists=rescanned.dists, leftovers=rescanned.leftovers, requires=rescanned.requires
        )
        expect, records = run(installed)
    return expect, installed, records


def _expectation_key(options: CheckOptions, target: Target) -> tuple[object, ...]:
    lock = options.lock
    return (
        "expectation",
        target.executable,
        tuple(sorted(target.markers.items())),
        os.path.abspath(lock) if lock is not None else None,
        os.getcwd() if lock is None else None,
        repr(options.selection),
        options.superset,
        options.subset,
        tuple(sorted(options.ignore)),
    )


def check(options: CheckOptions) -> Checked:
    """Validate the target's environment against its bound.

    :raises TetherError: when the target or the bound cannot be read.
    """
    from tether import _cache
    from tether.formats.interface import Report
    from tether.installed import scan
    from tether.sources.remote import is_remote
    from tether.target import query_target

    target = query_target(options.python, use_cache=options.use_cache)
    # Stamped before they are read: a change made while this runs is seen next time.
    env_stamps = _cache.take_stamps(
        [*target.sites, target.executable, os.path.join(target.prefix, "pyvenv.cfg")]
    )
    remote = options.lock is not None and is_remote(options.lock)
    use_cache = options.use_cache and not remote and _cache.enabled()
    key = _expectation_key(options, target)
    cached = _cache.get("expectation", key) if use_cache else None
    if isinstance(cached, tuple):
        bound, expect, bound_stamps = _restore(cached)
        installed = scan(target.sites)
        if expect.get("conda"):
            from dataclasses import replace

            from tether.installed import scan_conda

            installed = replace(installed, conda=scan_conda(target.prefix))
        from tether.validate import judge

        records = judge(expect, installed)
        certain = True
    else:
        bound, expect, installed, records, bound_stamps = _read_and_judge(options, target)
        from tether.runtime.compare import certain as runtime_certain

        certain = bound.follow == "none" and runtime_certain(expect)
        if use_cache and certain:
            _cache.put("expectation", key, bound_stamps, _pack(bound, expect, bound_stamps))
    report = Report(
        bound=bound.path,
        bound_format=bound.format,
        python=target.executable,
        installed=len({d.name for d in installed.dists}),
        records=records,
        repair=bound.repair,
        inventory=installed,
    )
    return Checked(
        target=target,
        bound=bound,
        expect=expect,
        certain=certain,
        installed=installed,
        report=report,
        stamps=env_stamps + bound_stamps,
    )


def _read_and_judge(
    options: CheckOptions, target: Target
) -> tuple[Bound, dict[str, Any], Installed, tuple[Record, ...], list[tuple[str, object]]]:
    from tether._cache import take_stamps
    from tether.installed import scan
    from tether.sources import load_bound
    from tether.sources.remote import is_remote

    detected_in = [os.getcwd()] if options.lock is None else []
    if options.lock is not None and not is_remote(options.lock) and os.path.isdir(options.lock):
        detected_in = [options.lock]
    bound = load_bound(options.lock, target, options.selection, timeout=options.timeout)
    # Stamps of the bound after reading it are taken from the files it names; a change
    # during the read is caught by the size and ctime parts of the next stamp.
    bound_stamps = take_stamps([*bound.files, *detected_in])
    installed = scan(target.sites, with_requires=bound.follow == "check")
    if bound.conda:
        from dataclasses import replace

        from tether.installed import scan_conda

        installed = replace(installed, conda=scan_conda(target.prefix))
    expect, installed, records = _judge_with_requires(bound, installed, target, options)
    return bound, expect, installed, records, bound_stamps


def _pack(bound: Bound, expect: dict[str, Any], stamps: list[tuple[str, object]]) -> tuple[object, ...]:
    return (bound.path, bound.format, bound.repair, tuple(bound.files), tuple(bound.notes), expect, stamps)


def _restore(value: tuple[Any, ...]) -> tuple[Bound, dict[str, Any], list[tuple[str, object]]]:
    from tether.models import Bound

    path, fmt, repair, files, notes, expect, stamps = value
    bound = Bound(
        path=path, format=fmt, expectations=(), follow="none", repair=repair, files=files, notes=notes
    )
    return bound, expect, [tuple(s) for s in stamps]
