"""Output formats; each returns a string.

The formatters are imported on first use (PEP 562), so that rendering one format does
not import the others (``csv``, ``json``) nor ``typing`` (the :class:`Formatter`
protocol): ``tether validate`` renders on its fast path (:mod:`tether._fast`).
"""

from __future__ import annotations

import importlib

# Not typing.TYPE_CHECKING: see above.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from tether.formats.csv import CsvFormatter
    from tether.formats.interface import Formatter, Report
    from tether.formats.json import JsonFormatter
    from tether.formats.text import TextFormatter

__all__ = ["CsvFormatter", "Formatter", "JsonFormatter", "Report", "TextFormatter"]

_HOMES = {
    "CsvFormatter": "tether.formats.csv",
    "Formatter": "tether.formats.interface",
    "JsonFormatter": "tether.formats.json",
    "Report": "tether.formats.interface",
    "TextFormatter": "tether.formats.text",
}


def __getattr__(name: str) -> object:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return __all__
