"""Fixtures of the audit tests: real advisory records, served by a real HTTP server on
127.0.0.1 (:mod:`tests.audit.osv_server`) and packed into an ``all.zip``. The conftest
files of tests/audit and tests/commands import them from here (no test imports a
conftest)."""

from __future__ import annotations

import json
import shutil
import zipfile
from typing import TYPE_CHECKING

import pytest

from tests.audit import osv_server
from tests.audit.osv_server import MALWARE, MALWARE_NAME, RECORDS

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def records_dir(tmp_path: Path) -> Path:
    """The real records (tests/data/osv/vulns) and the made-up MAL- record, in a folder."""
    root = tmp_path / "records"
    shutil.copytree(RECORDS, root)
    (root / MALWARE_NAME).mkdir()
    (root / MALWARE_NAME / "MAL-2099-0001.yaml").write_text(MALWARE)
    return root


@pytest.fixture
def all_zip(records_dir: Path, tmp_path: Path) -> Path:
    """The records as OSV exports them: one JSON file per record in ``all.zip``."""
    path = tmp_path / "all.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for ident, record in osv_server.load_records(records_dir).items():
            archive.writestr(f"{ident}.json", json.dumps(record))
    return path


@pytest.fixture
def osv(records_dir: Path) -> Iterator[osv_server.OsvServer]:
    """A running OSV server answering from :func:`records_dir`."""
    state, httpd, thread = osv_server.start(osv_server.load_records(records_dir))
    try:
        yield state
    finally:
        osv_server.stop(state, httpd, thread)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own cache directory (``TETHER_CACHE_DIR``)."""
    path = tmp_path / "cache"
    monkeypatch.setenv("TETHER_CACHE_DIR", str(path))
    return path
