"""``--format csv``: one header row, then one row per record (sites joined by ``;``)."""

from __future__ import annotations

import csv
import io

# Not typing.TYPE_CHECKING: formatters are on the fast path (see tether._fast).
TYPE_CHECKING = False

if TYPE_CHECKING:
    from tether.report import Report

__all__ = ["CsvFormatter"]


class CsvFormatter:
    """RFC 4180 CSV with the JSON record's keys as columns."""

    def format(self, report: Report) -> str:
        """The header row and one row per record."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["name", "status", "installed", "expected", "sites", "detail"])
        for r in report.records:
            writer.writerow(
                [r.name, r.status, r.installed or "", r.expected or "", ";".join(r.sites), r.detail]
            )
        return out.getvalue()
