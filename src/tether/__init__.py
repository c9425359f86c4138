"""tether keeps a Python environment locked to its lock file."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
