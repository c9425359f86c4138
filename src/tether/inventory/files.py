"""The files each installed distribution owns, from its ``RECORD``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tether.errors import RecordError
from tether.records import OwnedFile, read_record

if TYPE_CHECKING:
    from tether.inventory.models import Distribution, Environment, Inventory

__all__ = ["DistributionFiles", "owned_files"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DistributionFiles:
    """A distribution and the files its RECORD lists (none, with a ``problem``, when it
    has no readable RECORD: a legacy ``.egg-info`` has none)."""

    environment: Environment
    distribution: Distribution
    files: tuple[OwnedFile, ...]
    problem: str | None = None


def owned_files(
    inventory: Inventory, pattern: str | None = None, *, case_sensitive: bool = False
) -> tuple[DistributionFiles, ...]:
    """The files of every distribution (whose name matches the glob *pattern*, if given;
    see :mod:`tether.inventory.search`), each listed under its own environment."""
    from tether.inventory.search import matcher

    test = matcher(pattern, case_sensitive=case_sensitive) if pattern is not None else None
    out = []
    for env in inventory.environments:
        for dist in env.distributions:
            if test is not None and not test(dist):
                continue
            if not dist.path.endswith(".dist-info"):
                out.append(
                    DistributionFiles(
                        environment=env,
                        distribution=dist,
                        files=(),
                        problem=f"{dist.path}: no RECORD (not a .dist-info)",
                    )
                )
                continue
            try:
                files = read_record(dist.path, dist.site)
            except RecordError as e:
                out.append(DistributionFiles(environment=env, distribution=dist, files=(), problem=str(e)))
                continue
            out.append(DistributionFiles(environment=env, distribution=dist, files=files))
    return tuple(out)
