"""The interface every output format implements; what it renders is
:class:`tether.report.Report`."""

from __future__ import annotations

from typing import Protocol

from tether.report import Report

__all__ = ["Formatter", "Report"]


class Formatter(Protocol):
    """Renders a :class:`Report` as a string; only the CLI writes it out."""

    def format(self, report: Report) -> str:
        """The whole output, ending in a newline."""
