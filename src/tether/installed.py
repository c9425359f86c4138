"""Find the distributions installed in a target's site directories.

The scan itself is the runtime's (:mod:`tether.runtime.scan`): the start-up check and
``tether validate`` read an environment with the same code, so they cannot see two
different environments. What only tether needs is added here: ``Requires-Dist``, parsed
with ``packaging`` when a bound lists direct dependencies alone.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tether.models import Installed
from tether.runtime import scan as _scan
from tether.runtime.metadata import read_requires_dist

if TYPE_CHECKING:
    from collections.abc import Iterable

    from packaging.requirements import Requirement

    from tether.runtime.scan import Dist

__all__ = ["read_requires", "scan", "scan_conda"]


def read_requires(dist: Dist) -> tuple[tuple[Requirement, ...], str | None]:
    """The ``Requires-Dist`` of an installed distribution, and what is wrong with them.

    A requirement that does not parse is left out and named in the problem.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    meta = dist.path
    if os.path.isdir(meta):
        meta = os.path.join(meta, "METADATA" if meta.endswith(".dist-info") else "PKG-INFO")
    try:
        texts = read_requires_dist(meta)
    except OSError as e:
        return (), f"cannot read {os.path.basename(meta)} ({e.strerror or e})"
    requires: list[Requirement] = []
    problem = None
    for text in texts:
        try:
            requires.append(Requirement(text))
        except InvalidRequirement:
            problem = problem or f"invalid Requires-Dist {text!r}"
    return tuple(requires), problem


def scan(sites: Iterable[str], *, with_requires: bool = False) -> Installed:
    """Read every distribution in *sites*, in the order given (import order).

    :param with_requires: also read ``Requires-Dist`` (needed only when the bound lists
        direct dependencies alone).
    """
    sites = tuple(sites)
    dists, leftovers = _scan.scan(sites)
    requires: dict[str, tuple[Requirement, ...]] = {}
    if with_requires:
        for dist in dists:
            # A Requires-Dist that does not parse cannot be followed and is left out, but
            # does not make the distribution invalid: the start-up hook, which never reads
            # Requires-Dist, could not say the same, and pip installs such packages.
            requires[dist.path], _ = read_requires(dist)
    return Installed(sites=sites, dists=tuple(dists), leftovers=tuple(leftovers), requires=requires)


def scan_conda(prefix: str) -> tuple[_scan.CondaPackage, ...]:
    """A conda environment's ``conda-meta/*.json`` records (see :func:`tether.runtime.scan.scan_conda`)."""
    return tuple(_scan.scan_conda(prefix))
