"""One validation from start to end: find the target, read the bound, scan, compare."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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
    #: Reuse what the target interpreter said of itself (see :mod:`tether._cache`).
    use_cache: bool = True
    #: Seconds allowed for each network or git operation of a remote bound.
    timeout: float = 30.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Checked:
    """The inputs and outcome of one check, for callers that need more than the report."""

    target: Target
    bound: Bound
    installed: Installed
    report: Report
    #: Stamps of everything the result depends on, for :mod:`tether._cache`.
    stamps: list[tuple[str, object]] = field(default_factory=list)


def replace_dists(installed: Installed, rescanned: Installed) -> Installed:
    """*installed* with the distributions of a second scan (conda records kept)."""
    from dataclasses import replace

    return replace(installed, dists=rescanned.dists, leftovers=rescanned.leftovers)


def check(options: CheckOptions) -> Checked:
    """Validate the target's environment against its bound.

    :raises TetherError: when the target or the bound cannot be read.
    """
    from tether._cache import take_stamps
    from tether.formats.interface import Report
    from tether.installed import scan
    from tether.sources import load_bound
    from tether.sources.remote import is_remote
    from tether.target import query_target
    from tether.validate import validate

    target = query_target(options.python, use_cache=options.use_cache)
    # Stamped before they are read: a change made while this runs is seen next time.
    env_stamps = take_stamps([*target.sites, target.executable, os.path.join(target.prefix, "pyvenv.cfg")])
    bound = load_bound(options.lock, target, options.selection, timeout=options.timeout)
    installed = scan(target.sites, with_requires=bound.follow == "check")
    if bound.conda:
        from dataclasses import replace

        from tether.installed import scan_conda

        installed = replace(installed, conda=scan_conda(target.prefix))

    def run() -> tuple[Record, ...]:
        return validate(
            bound,
            installed,
            environment=target.markers,
            superset=options.superset,
            subset=options.subset,
            ignore=options.ignore,
        )

    records = run()
    if bound.follow == "allow" and any(r.status == "unexpected" for r in records):
        # Only now is Requires-Dist worth reading: it may excuse what pins left out.
        installed = replace_dists(installed, scan(target.sites, with_requires=True))
        records = run()
    report = Report(
        bound=bound.path,
        bound_format=bound.format,
        python=target.executable,
        installed=len({d.name for d in installed.dists}),
        records=records,
        repair=bound.repair,
    )
    detected_in = [os.getcwd()] if options.lock is None else []
    if options.lock is not None and not is_remote(options.lock) and os.path.isdir(options.lock):
        detected_in = [options.lock]
    stamps = env_stamps + take_stamps([*bound.files, *detected_in])
    return Checked(target=target, bound=bound, installed=installed, report=report, stamps=stamps)
