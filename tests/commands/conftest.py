"""The audit command's tests use the audit fixtures (a real OSV server, real records)."""

from __future__ import annotations

from tests.audit.fixtures import all_zip, cache_dir, osv, records_dir

__all__ = ["all_zip", "cache_dir", "osv", "records_dir"]
