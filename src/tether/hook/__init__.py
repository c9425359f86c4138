"""The start-up check's installer (:mod:`.install`); what runs at start is :mod:`tether.runtime`."""

from __future__ import annotations

__all__: list[str] = []
