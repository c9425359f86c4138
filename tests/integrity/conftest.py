"""Installed distributions written as installers write them: files, and a RECORD that
hashes each of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.integrity.helpers import Install, record_row

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def install() -> Install:
    """Write *files* (paths relative to *site*) and a .dist-info whose RECORD lists them,
    the metadata files and itself; *extra_rows* are added as written."""

    def write(
        site: Path,
        name: str,
        files: dict[str, bytes],
        *,
        version: str = "1.0",
        extra_rows: tuple[str, ...] = (),
    ) -> Path:
        info = f"{name}-{version}.dist-info"
        meta = {
            f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
            f"{info}/INSTALLER": b"pip\n",
        }
        rows = []
        for rel, data in {**files, **meta}.items():
            target = site / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            rows.append(record_row(rel, data))
        rows += [*extra_rows, f"{info}/RECORD,,"]
        (site / info / "RECORD").write_text("\n".join(rows) + "\n")
        return site / info

    return write
