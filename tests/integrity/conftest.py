"""Installed distributions written as installers write them: files, and a RECORD that
hashes each of them."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Protocol

import pytest

if TYPE_CHECKING:
    from pathlib import Path


def record_row(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


class Install(Protocol):
    def __call__(
        self,
        site: Path,
        name: str,
        files: dict[str, bytes],
        *,
        version: str = ...,
        extra_rows: tuple[str, ...] = ...,
    ) -> Path: ...


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
