"""The start-up check: its stdlib-only runtime (``_startup``) and its installer (``install``)."""

from __future__ import annotations

__all__: list[str] = []
