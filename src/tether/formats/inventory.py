"""The output of ``scan``, ``search``, ``count``, ``files`` and ``inspect``: a table,
``--format json`` or ``--format csv``; each function returns the whole output.

**JSON** (a stable contract; new keys may be added, none removed or changed in meaning
within a ``schema``): every document is an object with ``schema`` (an integer),
``tether_version``, ``roots`` (the directories walked, real paths) and ``warnings``
(what could not be listed: ``"PATH: cannot list (Permission denied)"``), plus:

- ``scan``: ``environments``, each ``{"prefix", "kind", "python_version", "base",
  "system_site_packages", "inherited_only", "sites", "inherited_sites", "problems",
  "distributions", "conda_packages"}``; ``inherited_only`` is true for a base not found
  under the roots, read because a venv found there imports from its sites; ``kind`` one
  of ``venv``, ``conda``, ``base``, ``user``;
  ``python_version`` ``"X.Y.Z"``, ``"X.Y"`` or ``""``; ``base`` a path or ``null``; each
  distribution ``{"name", "version", "installer", "site", "path", "source", "problem"}``
  (``name`` PEP 503-normalized, ``installer`` ``""`` when unknown, ``source`` ``""`` for
  an index install, ``problem`` ``null`` or what is wrong with its metadata); each conda
  package ``{"name", "version", "build", "path"}``.
- ``search``: ``pattern``, ``case_sensitive`` and ``matches``, each ``{"environment"
  (its prefix), "kind", "python_version", "name", "version", "installer", "site", "path",
  "inherited"}``.
- ``count``: ``interpreters``, ``environments``, ``sites``, ``distributions`` (integers)
  and ``kinds`` (environments by kind).
- ``files``: ``distributions``, each ``{"environment", "name", "version", "site", "path",
  "count", "files", "problem"}``, ``count`` the number of files (``null`` with a
  ``problem`` when the RECORD is missing or unreadable), each file ``{"path" (absolute),
  "recorded" (as in the RECORD), "hash" ("sha256=..." or null), "size" (or null)}``.
- ``inspect``: ``hooks``, each ``{"environment", "site", "kind" (pth, start,
  sitecustomize, usercustomize), "path", "line" (or null), "content" (in full),
  "owner" ({"name", "version", "path"} or null), "unowned", "superseded_by", "modified"
  (its file no longer has the hash its owner's RECORD gives)}``, ``unowned`` (how many
  hooks no distribution owns) and ``modified`` (how many are modified).

Paths are as the file system gives them: a name that is not UTF-8 keeps its undecodable
bytes as lone surrogates (``os.fsdecode``), written ``\\udcXX`` in JSON.

**CSV**: RFC 4180 (the :mod:`csv` module quotes what needs it), a header row, one row per
distribution (``scan``, ``search``), count (``count``), file (``files``) or hook
(``inspect``); the columns are named in each function. A CSV is opened in a
spreadsheet, and what it holds was written by whoever made the installed files (a
``Name: =HYPERLINK(...)`` in a METADATA): a cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is written with a ``'`` before it (as OWASP advises
against formula injection), so that no spreadsheet evaluates it. JSON holds every value
as it is.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

from tether import __version__
from tether.formats.text import plural

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from tether.inventory.files import DistributionFiles
    from tether.inventory.inspect import Hook
    from tether.inventory.models import Distribution, Environment, Inventory
    from tether.inventory.search import Match

__all__ = [
    "FORMATS",
    "printable",
    "render_count",
    "render_files",
    "render_inspect",
    "render_scan",
    "render_search",
]

FORMATS = ("text", "json", "csv")
#: The contract's version: raised only if a key ever changes meaning.
SCHEMA = 1
#: Text output shows this much of a hook's content (JSON shows it all).
_SHOWN = 100


def _json(inventory: Inventory, **payload: object) -> str:
    document = {
        "schema": SCHEMA,
        "tether_version": __version__,
        "roots": list(inventory.roots),
        "warnings": list(inventory.warnings),
        **payload,
    }
    return json.dumps(document, indent=2) + "\n"


#: What makes a spreadsheet read a cell as a formula.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """*value*, with a ``'`` before it if a spreadsheet would evaluate it (see the module)."""
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA) else value


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()


#: The columns ``inventory`` and ``search`` share: a distribution and where it is.
_DIST_COLUMNS = ("environment", "kind", "python_version", "name", "version", "installer", "site", "path")


def _dist_cells(env: Environment, dist: Distribution) -> tuple[str, ...]:
    """The :data:`_DIST_COLUMNS` cells of *dist* in *env*."""
    return (
        env.prefix,
        env.kind,
        env.python_version,
        dist.name,
        dist.version,
        dist.installer,
        dist.site,
        dist.path,
    )


def printable(text: str) -> str:
    """*text* as it is, or quoted (``repr``) when it holds a control character: names,
    paths and start-up lines come from files anyone could have installed, and an escape
    sequence written as is to a terminal could rewrite what is on it (move the cursor up
    and erase the ``UNOWNED`` line of a planted hook)."""
    return repr(text) if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text) else text


def _table(rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """Rows as aligned columns (the last column is not padded), each cell made printable."""
    if not rows:
        return []
    rows = [[printable(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        (indent + "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]])).rstrip()
        for row in rows
    ]


def _distribution(dist: Distribution) -> dict[str, object]:
    return {
        "name": dist.name,
        "version": dist.version,
        "installer": dist.installer,
        "site": dist.site,
        "path": dist.path,
        "source": dist.source,
        "problem": dist.problem,
    }


def _environment(env: Environment) -> dict[str, object]:
    return {
        "prefix": env.prefix,
        "kind": env.kind,
        "python_version": env.python_version,
        "base": env.base,
        "system_site_packages": env.system_site_packages,
        "inherited_only": env.inherited_only,
        "sites": list(env.sites),
        "inherited_sites": list(env.inherited_sites),
        "problems": list(env.problems),
        "distributions": [_distribution(d) for d in env.distributions],
        "conda_packages": [
            {"name": c.name, "version": c.version, "build": c.build, "path": c.path}
            for c in env.conda_packages
        ],
    }


def _describe(env: Environment) -> str:
    python = f"Python {env.python_version}" if env.python_version else "Python version unknown"
    extra = ", with its base's site-packages" if env.system_site_packages else ""
    count = plural(len(env.distributions), "distribution")
    return f"{printable(env.prefix)}  ({env.kind}, {python}{extra}, {count})"


def render_scan(inventory: Inventory, fmt: str) -> str:
    """Every environment and its distributions. CSV columns: ``environment, kind,
    python_version, name, version, installer, site, path, problem``. CycloneDX: see
    :func:`tether.formats.bom.render_inventory`."""
    if fmt == "cyclonedx":
        from tether.formats.bom import render_inventory

        return render_inventory(inventory)
    if fmt == "json":
        return _json(inventory, environments=[_environment(e) for e in inventory.environments])
    if fmt == "csv":
        return _csv(
            (*_DIST_COLUMNS, "problem"),
            ((*_dist_cells(e, d), d.problem or "") for e in inventory.environments for d in e.distributions),
        )
    lines = []
    for env in inventory.environments:
        lines.append(_describe(env))
        lines += [f"  ! {printable(problem)}" for problem in env.problems]
        rows = [
            (d.name, d.version or "-", d.installer or "-", d.problem or d.source) for d in env.distributions
        ]
        lines += _table(rows, "  ")
    total = sum(len(e.distributions) for e in inventory.environments)
    lines.append(f"{plural(len(inventory.environments), 'environment')}, {plural(total, 'distribution')}")
    return "\n".join(lines) + "\n"


def render_search(
    inventory: Inventory, matches: Sequence[Match], fmt: str, *, pattern: str, case_sensitive: bool
) -> str:
    """The matches. CSV columns: ``environment, kind, python_version, name, version,
    installer, site, path, inherited``."""
    rows = [(*_dist_cells(m.environment, m.distribution), m.inherited) for m in matches]
    header = (*_DIST_COLUMNS, "inherited")
    if fmt == "json":
        found = [dict(zip(header, row, strict=True)) for row in rows]
        return _json(inventory, pattern=pattern, case_sensitive=case_sensitive, matches=found)
    if fmt == "csv":
        return _csv(header, rows)
    table = [("package", "version", "environment", "")]
    table += [
        (
            m.distribution.name,
            m.distribution.version or "-",
            m.environment.prefix,
            "(from its base)" if m.inherited else "",
        )
        for m in matches
    ]
    environments = len({m.environment.prefix for m in matches})
    counted = f"{len(matches)} {'match' if len(matches) == 1 else 'matches'}"
    footer = f"{counted} for {pattern!r} in {plural(environments, 'environment')}"
    return "\n".join([*(_table(table) if matches else []), footer]) + "\n"


def render_count(inventory: Inventory, fmt: str) -> str:
    """Interpreters, environments, sites, distributions. CSV columns: ``what, count``."""
    kinds: dict[str, int] = {}
    for env in inventory.environments:
        kinds[env.kind] = kinds.get(env.kind, 0) + 1
    counts = {
        "interpreters": len(inventory.interpreters),
        "environments": len(inventory.environments),
        "sites": len(inventory.sites),
        "distributions": sum(len(e.distributions) for e in inventory.environments),
    }
    if fmt == "json":
        return _json(inventory, **counts, kinds=kinds)
    if fmt == "csv":
        return _csv(
            ("what", "count"), [*counts.items(), *((f"{k} environments", n) for k, n in kinds.items())]
        )
    rows = [(what, str(n)) for what, n in counts.items()]
    rows += [(f"  {kind}", str(n)) for kind, n in sorted(kinds.items())]
    return "\n".join(_table(rows)) + "\n"


def render_files(
    inventory: Inventory, found: Sequence[DistributionFiles], fmt: str, *, count_only: bool
) -> str:
    """The files of each distribution. CSV columns: ``environment, name, version, path,
    recorded, hash, size`` (with ``count_only``: ``environment, name, version, path,
    count, problem``, ``path`` then being the distribution's)."""
    if fmt == "json":
        return _json(
            inventory,
            distributions=[
                {
                    "environment": f.environment.prefix,
                    "name": f.distribution.name,
                    "version": f.distribution.version,
                    "site": f.distribution.site,
                    "path": f.distribution.path,
                    "count": None if f.problem else len(f.files),
                    "files": [
                        {
                            "path": o.path,
                            "recorded": o.recorded,
                            "hash": f"{o.hash[0]}={o.hash[1]}" if o.hash else None,
                            "size": o.size,
                        }
                        for o in f.files
                    ],
                    "problem": f.problem,
                }
                for f in found
            ],
        )
    if fmt == "csv" and count_only:
        return _csv(
            ("environment", "name", "version", "path", "count", "problem"),
            (
                (
                    f.environment.prefix,
                    f.distribution.name,
                    f.distribution.version,
                    f.distribution.path,
                    "" if f.problem else len(f.files),
                    f.problem or "",
                )
                for f in found
            ),
        )
    if fmt == "csv":
        return _csv(
            ("environment", "name", "version", "path", "recorded", "hash", "size"),
            (
                (
                    f.environment.prefix,
                    f.distribution.name,
                    f.distribution.version,
                    o.path,
                    o.recorded,
                    f"{o.hash[0]}={o.hash[1]}" if o.hash else "",
                    "" if o.size is None else o.size,
                )
                for f in found
                for o in f.files
            ),
        )
    lines = []
    for f in found:
        what = f.problem or plural(len(f.files), "file")
        dist, prefix = f.distribution, f.environment.prefix
        lines.append(
            f"{printable(dist.name)} {printable(dist.version)}  {printable(prefix)}  ({printable(what)})"
        )
        if not count_only:
            lines += [f"  {printable(o.path)}" for o in f.files]
    lines.append(f"{plural(len(found), 'distribution')}, {plural(sum(len(f.files) for f in found), 'file')}")
    return "\n".join(lines) + "\n"


def _shown(content: str) -> str:
    first = content.strip().splitlines()[0] if content.strip() else ""
    more = len(first) > _SHOWN or "\n" in content.strip()
    return printable(first[:_SHOWN]) + (" ... (all of it: --format json)" if more else "")


def render_inspect(inventory: Inventory, hooks: Sequence[Hook], fmt: str, *, color: bool = False) -> str:
    """The start-up hooks. CSV columns: ``environment, site, kind, path, line, owner,
    owner_version, unowned, superseded_by, content, modified`` (content in full). *color* shows
    ``UNOWNED`` in red in the text output."""
    if fmt == "json":
        return _json(
            inventory,
            hooks=[
                {
                    "environment": h.environment.prefix,
                    "site": h.site,
                    "kind": h.kind,
                    "path": h.path,
                    "line": h.line,
                    "content": h.content,
                    "owner": None
                    if h.owner is None
                    else {"name": h.owner.name, "version": h.owner.version, "path": h.owner.path},
                    "unowned": h.unowned,
                    "superseded_by": h.superseded_by,
                    "modified": h.modified,
                }
                for h in hooks
            ],
            unowned=sum(h.unowned for h in hooks),
            modified=sum(h.modified for h in hooks),
        )
    if fmt == "csv":
        return _csv(
            (
                "environment",
                "site",
                "kind",
                "path",
                "line",
                "owner",
                "owner_version",
                "unowned",
                "superseded_by",
                "content",
                "modified",
            ),
            (
                (
                    h.environment.prefix,
                    h.site,
                    h.kind,
                    h.path,
                    "" if h.line is None else h.line,
                    h.owner.name if h.owner else "",
                    h.owner.version if h.owner else "",
                    h.unowned,
                    h.superseded_by or "",
                    h.content,
                    h.modified,
                )
                for h in hooks
            ),
        )
    lines = []
    for h in hooks:
        where = h.path if h.line is None else f"{h.path}:{h.line}"
        owner = (
            f"{printable(h.owner.name)} {printable(h.owner.version)}"
            if h.owner
            else "UNOWNED (no RECORD lists it)"
        )
        if h.modified:
            owner += ", MODIFIED (its hash is not the one its RECORD gives)"
        if color and (h.owner is None or h.modified):
            owner = f"\033[31m{owner}\033[0m"
        lines.append(f"{h.kind:<13} {printable(where)}  {owner}")
        lines.append(f"    {_shown(h.content)}")
        if h.superseded_by:
            lines.append(f"    (not run on Python 3.15+: {printable(h.superseded_by)} replaces it)")
    unowned = sum(h.unowned for h in hooks)
    modified = sum(h.modified for h in hooks)
    lines.append(
        f"{plural(len(hooks), 'start-up hook')}, {unowned} unowned"
        + (f", {modified} modified" if modified else "")
    )
    return "\n".join(lines) + "\n"
