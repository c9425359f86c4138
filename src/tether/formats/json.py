"""``--format json``: the stable, documented contract.

``{"valid": bool, "bound": str, "bound_format": str, "python": str, "records": [...]}``,
each record ``{"name", "status", "installed", "expected", "sites", "detail"}`` with
``name`` PEP 503-normalized, ``status`` one of :data:`tether.report.STATUSES`,
``installed``/``expected`` a version string or ``null`` and ``sites`` a list of paths.
New keys may be added; none is removed or changes meaning within a major version.
"""

from __future__ import annotations

import json

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
        }
        return json.dumps(payload, indent=2) + "\n"
