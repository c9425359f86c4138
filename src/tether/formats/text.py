"""The default, human output: a table of findings, colored only on a terminal."""

from __future__ import annotations

# Not typing.TYPE_CHECKING: formatters are on the fast path (see tether._fast).
TYPE_CHECKING = False

if TYPE_CHECKING:
    from tether.report import Report

__all__ = ["TextFormatter", "plural", "use_color"]

_COLORS = {"missing": "31", "mismatch": "33", "unexpected": "35"}


def use_color(choice: str, stream: object) -> bool:
    """Whether to color what goes to *stream*, as ``--color`` *choice* says.

    ``always`` and ``never`` are obeyed. ``auto``: no when ``NO_COLOR`` is set (not empty),
    then yes when ``FORCE_COLOR`` is, then no when ``TERM=dumb``, else whether *stream* is
    a terminal (the order of https://no-color.org and uv).
    """
    import os

    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def plural(n: int, word: str) -> str:
    """``1 finding``, ``2 findings``."""
    return f"{n} {word}" + ("" if n == 1 else "s")


class TextFormatter:
    """A table with a summary line; ``color`` adds ANSI colors to the status column."""

    def __init__(self, *, color: bool = False) -> None:
        """:param color: use ANSI colors (the CLI sets it on a terminal only)."""
        self.color = color

    def format(self, report: Report) -> str:
        """The table and summary."""
        if report.valid:
            return (
                f"valid: {plural(report.installed, 'installed distribution')} of "
                f"{report.python} match {report.bound}\n"
            )
        header = ("package", "status", "installed", "expected", "detail")
        rows = [
            (
                r.name,
                r.status,
                r.installed or "-",
                r.expected or "-",
                r.detail or ", ".join(r.sites),
            )
            for r in report.records
        ]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
        lines = []
        for n, row in enumerate([header, *rows]):
            cells = [row[i].ljust(widths[i]) for i in range(4)]
            if self.color and n > 0:
                code = _COLORS.get(row[1], "36")
                cells[1] = f"\033[{code}m{cells[1]}\033[0m"
            lines.append("  ".join([*cells, row[4]]).rstrip())
        counts: dict[str, int] = {}
        for r in report.records:
            counts[r.status] = counts.get(r.status, 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in counts.items())
        lines.append("")
        lines.append(f"drift: {summary} ({report.python} against {report.bound})")
        if report.repair:
            lines.append(f"repair: {report.repair}")
        return "\n".join(lines) + "\n"
