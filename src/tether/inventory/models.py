"""The inventory's records: environments, the distributions in their sites, and what a
scan could not read (plain frozen dataclasses, so that any formatter can take them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["CondaRecord", "Distribution", "Environment", "Inventory", "Kind"]

#: ``venv`` (a ``pyvenv.cfg``), ``conda`` (a ``conda-meta/`` folder), ``base`` (an
#: interpreter's own prefix, with ``lib/pythonX.Y/site-packages``) or ``user`` (the user
#: site's base, ``~/.local``).
Kind = Literal["venv", "conda", "base", "user"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Distribution:
    """One ``.dist-info``/``.egg-info`` (or legacy ``.egg-link``) in a site directory."""

    #: PEP 503-normalized.
    name: str
    #: As written in the metadata; ``""`` when there is none.
    version: str
    #: The ``INSTALLER`` file's first line (``pip``, ``uv``, ``conda``, ...); ``conda`` for
    #: a distribution a conda record owns and that has no INSTALLER; ``""`` when unknown.
    installer: str
    #: The site directory that holds it.
    site: str
    #: Its metadata directory (or file).
    path: str
    #: Where it was installed from when not from an index (PEP 610 ``direct_url.json``:
    #: ``git+URL@commit``, ``/path (editable)``, an archive's URL); ``""`` for an index.
    source: str = ""
    #: What is wrong with its metadata (no METADATA, no Version, ...), or ``None``.
    problem: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CondaRecord:
    """One ``conda-meta/*.json`` record (conda packages need not be Python distributions)."""

    name: str
    version: str
    build: str
    #: The record file.
    path: str
    #: The files it installed, relative to the environment's prefix, as the record lists them.
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Environment:
    """One environment, identified by its prefix (a real path: links resolved)."""

    prefix: str
    kind: Kind
    #: ``X.Y.Z`` from ``pyvenv.cfg`` or the conda record of ``python``, else ``X.Y`` from
    #: the ``lib/pythonX.Y`` folder; ``""`` when neither says.
    python_version: str
    #: A venv's base interpreter prefix (from ``pyvenv.cfg``'s ``home``), else ``None``.
    base: str | None
    #: ``include-system-site-packages = true``: the base's sites are importable too.
    system_site_packages: bool
    #: Its own site directories, in import order.
    sites: tuple[str, ...]
    #: The base's site directories it imports from too (``system_site_packages``); their
    #: distributions are listed under the base's own environment, not here.
    inherited_sites: tuple[str, ...]
    distributions: tuple[Distribution, ...]
    conda_packages: tuple[CondaRecord, ...] = ()
    #: What could not be read (a broken ``pyvenv.cfg``, a leftover of pip, ...).
    problems: tuple[str, ...] = ()
    #: Not found under the roots (nor named by ``--python``): read only because a venv
    #: found there imports from its sites (``include-system-site-packages``).
    inherited_only: bool = False

    @property
    def python_minor(self) -> str:
        """``X.Y`` of :attr:`python_version` (``""`` when unknown): only the digits, as a
        conda record's version (``3.11x``) is whatever its file says, and ``derive``
        orders these numerically."""
        match = re.match(r"\d+\.\d+(?!\d)", self.python_version)
        return match.group(0) if match else ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Inventory:
    """What a scan found: environments sorted by prefix, and warnings about what it could
    not look into (a directory it may not list, a symlink loop)."""

    roots: tuple[str, ...]
    environments: tuple[Environment, ...]
    warnings: tuple[str, ...] = ()

    @property
    def interpreters(self) -> tuple[str, ...]:
        """The distinct interpreter prefixes: each base, conda environment (conda
        installs its own interpreter) and venv's base (``home``), sorted."""
        found = {e.prefix for e in self.environments if e.kind in ("base", "conda") and e.python_version}
        found |= {e.base for e in self.environments if e.base}
        return tuple(sorted(found))

    @property
    def sites(self) -> tuple[str, ...]:
        """Every site directory read, once each, sorted."""
        return tuple(sorted({s for e in self.environments for s in e.sites}))

    def environment(self, prefix: str) -> Environment | None:
        """The environment at *prefix* (a real path), if it was found."""
        for env in self.environments:
            if env.prefix == prefix:
                return env
        return None

    def visible(self, env: Environment) -> tuple[Distribution, ...]:
        """What *env*'s interpreter can import: its own distributions, then those of the
        sites it inherits (the first of a name wins, as on ``sys.path``)."""
        dists = list(env.distributions)
        for site in env.inherited_sites:
            dists += [d for e in self.environments for d in e.distributions if d.site == site]
        seen: set[str] = set()
        out = []
        for dist in dists:
            if dist.name not in seen:
                seen.add(dist.name)
                out.append(dist)
        return tuple(out)
