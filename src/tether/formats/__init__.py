"""Output formats; each returns a string."""

from __future__ import annotations

from tether.formats.csv import CsvFormatter
from tether.formats.interface import Formatter, Report
from tether.formats.json import JsonFormatter
from tether.formats.text import TextFormatter

__all__ = ["CsvFormatter", "Formatter", "JsonFormatter", "Report", "TextFormatter"]
