"""The audit tests' fixtures (:mod:`tests.audit.fixtures`)."""

from __future__ import annotations

from tests.audit.fixtures import all_zip, cache_dir, osv, records_dir

__all__ = ["all_zip", "cache_dir", "osv", "records_dir"]
