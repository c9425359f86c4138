"""``--format json``: the stable, documented contract.

An object: ``valid`` (bool); ``records``, each ``{"name", "status", "installed",
"expected", "sites", "detail"}`` with ``name`` PEP 503-normalized, ``status`` one of
:data:`tether.report.STATUSES`, ``installed``/``expected`` a version string or ``null``
and ``sites`` a list of paths (a ``stale-lock`` record, at most one, is named after the
lock file, ``uv.lock``, with ``installed`` and ``expected`` ``null``, no sites, and its
``detail`` naming the project file and what differs); ``summary`` (the count of
records by status, every status present, and with ``--verify-files`` every status of
:data:`tether.report.FILE_STATUSES` too: one record per file, ``detail`` its path
relative to its site directory and what differs); ``repair`` (the command that repairs
the environment, or ``null``); ``bound`` (as named), ``bound_format`` and
``bound_files`` (every local file read); ``python`` (the interpreter) and
``interpreter`` (``{"executable", "prefix", "version"}``);
``tether_version``; ``schema`` (an integer, raised only if a key ever changes meaning).
New keys may be added; none is removed or changes meaning within a schema.
"""

from __future__ import annotations

import json

from tether import __version__
from tether.report import FILE_STATUSES, STATUSES

#: The contract's version: raised only if a key ever changes meaning.
SCHEMA = 1

# Not typing.TYPE_CHECKING: formatters are on the fast path (see tether._fast).
TYPE_CHECKING = False

if TYPE_CHECKING:
    from tether.report import Report

__all__ = ["JsonFormatter"]


class JsonFormatter:
    """The JSON contract above."""

    def format(self, report: Report) -> str:
        """One JSON object and a newline."""
        payload = {
            "valid": report.valid,
            "bound": report.bound,
            "bound_format": report.bound_format,
            "python": report.python,
            "records": [
                {
                    "name": r.name,
                    "status": r.status,
                    "installed": r.installed,
                    "expected": r.expected,
                    "sites": list(r.sites),
                    "detail": r.detail,
                }
                for r in report.records
            ],
            "summary": {
                status: sum(r.status == status for r in report.records)
                for status in (*STATUSES, *(FILE_STATUSES if report.files_verified else ()))
            },
            "repair": report.repair or None if not report.valid else None,
            "bound_files": list(report.bound_files),
            "interpreter": {
                "executable": report.python,
                "prefix": report.prefix,
                "version": report.python_version,
            },
            "tether_version": __version__,
            "schema": SCHEMA,
        }
        return json.dumps(payload, indent=2) + "\n"
