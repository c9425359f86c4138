"""Which environments hold distributions whose names match a glob.

Case-insensitive by default: the pattern is matched against the PEP 503-normalized
name, and also with its runs of ``-``, ``_`` and ``.`` made one ``-`` (so ``Foo_Bar*``
finds ``foo-bar``). Case-sensitive: against the ``Name`` its metadata gives, as written.
A venv made with ``--system-site-packages`` holds what its base holds too: such matches
are listed for it with ``inherited`` set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from tether.integrity.verify import canonical_pattern
from tether.runtime.metadata import read_headers

if TYPE_CHECKING:
    from collections.abc import Callable

    from tether.inventory.models import Distribution, Environment, Inventory

__all__ = ["Match", "matcher", "search"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """A distribution whose name matched, and the environment that holds it."""

    environment: Environment
    distribution: Distribution
    #: Held through ``--system-site-packages`` (the distribution is in a base's site).
    inherited: bool = False


def _written_name(dist: Distribution) -> str:
    """The ``Name`` of *dist*'s metadata as written (its normalized name if unreadable)."""
    meta = dist.path
    if os.path.isdir(meta):
        meta = os.path.join(meta, "METADATA" if meta.endswith(".dist-info") else "PKG-INFO")
    try:
        name, _ = read_headers(meta)
    except OSError:
        return dist.name
    return name or dist.name


def matcher(pattern: str, *, case_sensitive: bool = False) -> Callable[[Distribution], bool]:
    """A test of a distribution's name against the glob *pattern* (see the module)."""
    if case_sensitive:
        return lambda dist: fnmatchcase(_written_name(dist), pattern)
    lowered = pattern.lower()
    normalized = canonical_pattern(pattern)
    return lambda dist: fnmatchcase(dist.name, lowered) or fnmatchcase(dist.name, normalized)


def search(inventory: Inventory, pattern: str, *, case_sensitive: bool = False) -> tuple[Match, ...]:
    """Every matching distribution with its environment, in the inventory's order."""
    test = matcher(pattern, case_sensitive=case_sensitive)
    by_site: dict[str, list[Distribution]] = {}
    for env in inventory.environments:
        for dist in env.distributions:
            by_site.setdefault(dist.site, []).append(dist)
    matches = []
    for env in inventory.environments:
        matches += [Match(environment=env, distribution=d) for d in env.distributions if test(d)]
        for site in env.inherited_sites:
            matches += [
                Match(environment=env, distribution=d, inherited=True)
                for d in by_site.get(site, ())
                if test(d)
            ]
    return tuple(matches)
