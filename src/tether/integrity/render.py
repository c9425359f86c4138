"""``tether verify`` and ``tether purge`` reports, as text and as JSON (each returns a string).

``tether verify --format json`` is a stable contract: an object with ``valid`` (bool);
``findings``, each ``{"name", "version", "status", "path", "site", "detail"}`` with
``name`` PEP 503-normalized, ``status`` one of
:data:`tether.integrity.verify.FILE_STATUSES` and ``path`` absolute; ``summary`` (the
count of findings by status, every status present); ``distributions``, ``files`` and
``bytes`` (what was checked and read); ``fast`` (sizes only); ``repair`` (the command
that reinstalls the distributions with modified or missing files, or ``null``);
``python``, ``prefix``; ``tether_version``; ``schema`` (1). Keys may be added, never
removed or changed in meaning.

``tether purge --format json``: ``{"dry_run", "removed": [{"name", "version", "site",
"reason", "files", "kept"}], "skipped": [{"name", "version", "path", "reason"}],
"python", "prefix", "venv", "tether_version", "schema"}``; ``venv`` false when the
target is an installation itself (a pyenv build, a conda environment); ``removed`` lists
what was removed, or, in a dry run, what would be; ``kept`` the files its RECORD lists
that stay because a distribution that stays records them too.
"""

from __future__ import annotations

import json
import os
import shlex
from typing import TYPE_CHECKING

from tether import __version__
from tether.formats.inventory import printable
from tether.formats.text import plural
from tether.integrity.verify import FILE_STATUSES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tether.integrity.purge import Plan
    from tether.integrity.verify import FileFinding, Verification

__all__ = ["purge_json", "purge_text", "repair_files", "verify_json", "verify_text"]

SCHEMA = 1


def shown(path: str, prefix: str) -> str:
    """*path* relative to the environment's prefix when inside it (shorter, and the same
    on every machine), else as it is; quoted when it holds a control character (a name
    in a hostile RECORD must not write to the terminal)."""
    if path.startswith(prefix.rstrip(os.sep) + os.sep):
        path = os.path.relpath(path, prefix)
    return printable(path)


def repair_files(findings: Sequence[FileFinding], python: str, *, has_pip: bool) -> str:
    """The command that reinstalls, as released, the distributions with modified or
    missing files ("" when none has): pip's ``--force-reinstall --no-deps`` when the
    environment has pip, else uv's ``--reinstall --no-deps``."""
    pins = dict.fromkeys(
        f"{f.name}=={f.version}"
        for f in findings
        if f.status in ("modified-file", "missing-file") and f.version
    )
    if not pins:
        return ""
    words = " ".join(shlex.quote(p) for p in pins)
    if has_pip:
        return f"{shlex.quote(python)} -m pip install --force-reinstall --no-deps {words}"
    return f"uv pip install --python {shlex.quote(python)} --reinstall --no-deps {words}"


def verify_text(result: Verification, python: str, prefix: str, repair: str) -> str:
    """A table of findings and a summary line."""
    checked = f"{plural(result.distributions, 'distribution')}, {plural(result.files, 'file')}" + (
        " (sizes only)" if result.fast else f", {result.bytes / 1e6:.1f} MB read"
    )
    if result.valid:
        return f"verified: {checked} of {python} match their RECORD\n"
    header = ("package", "version", "status", "file", "detail")
    rows = [(f.name, f.version or "-", f.status, shown(f.path, prefix), f.detail) for f in result.findings]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = [
        "  ".join([*(row[i].ljust(widths[i]) for i in range(4)), row[4]]).rstrip() for row in [header, *rows]
    ]
    counts = ", ".join(
        f"{n} {status}" for status in FILE_STATUSES if (n := sum(f.status == status for f in result.findings))
    )
    names = len({f.name for f in result.findings})
    lines += ["", f"drift: {counts} in {names} of {checked} ({python})"]
    if repair:
        lines.append(f"repair: {repair}")
    return "\n".join(lines) + "\n"


def verify_json(result: Verification, python: str, prefix: str, repair: str) -> str:
    """The JSON contract in the module's docstring."""
    payload = {
        "valid": result.valid,
        "findings": [
            {
                "name": f.name,
                "version": f.version,
                "status": f.status,
                "path": f.path,
                "site": f.site,
                "detail": f.detail,
            }
            for f in result.findings
        ],
        "summary": {status: sum(f.status == status for f in result.findings) for status in FILE_STATUSES},
        "distributions": result.distributions,
        "files": result.files,
        "bytes": result.bytes,
        "fast": result.fast,
        "repair": repair or None,
        "python": python,
        "prefix": prefix,
        "tether_version": __version__,
        "schema": SCHEMA,
    }
    return json.dumps(payload, indent=2) + "\n"


def purge_text(chosen: Plan, python: str, *, dry_run: bool) -> str:
    """What was (or would be) removed, and what was left out and why."""
    lines = []
    if not chosen.venv:
        lines.append(
            f"note: {python} is not a virtual environment: this is its installation, {chosen.prefix}"
        )
    verb = "would remove" if dry_run else "removed"
    for r in chosen.removals:
        lines.append(
            f"{verb} {r.name} {r.version} ({r.reason}): {plural(len(r.files), 'file')} and "
            f"{shown(r.metadata, chosen.prefix)}"
            + (f"; kept {plural(len(r.kept), 'file')} another package records too" if r.kept else "")
        )
    lines += [f"kept {s.name} {s.version}: {s.reason}" for s in chosen.skipped]
    if not chosen.removals:
        lines.append(f"nothing to remove from {python}")
    elif dry_run:
        lines.append(f"dry run: nothing was removed from {python}; --yes removes the above")
    return "\n".join(lines) + "\n"


def purge_json(chosen: Plan, python: str, *, dry_run: bool) -> str:
    """The JSON contract in the module's docstring."""
    payload = {
        "dry_run": dry_run,
        "removed": [
            {
                "name": r.name,
                "version": r.version,
                "site": r.site,
                "reason": r.reason,
                "files": [*r.files, r.metadata],
                "kept": list(r.kept),
            }
            for r in chosen.removals
        ],
        "skipped": [
            {"name": s.name, "version": s.version, "path": s.path, "reason": s.reason} for s in chosen.skipped
        ],
        "python": python,
        "prefix": chosen.prefix,
        "venv": chosen.venv,
        "tether_version": __version__,
        "schema": SCHEMA,
    }
    return json.dumps(payload, indent=2) + "\n"
