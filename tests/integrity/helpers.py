"""What the integrity tests share: RECORD rows as installers write them, the
:class:`Install` fixture's type, and a venv as a target without starting it."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Protocol

from tests.helpers import site_packages
from tether import _query
from tether.target import Target

if TYPE_CHECKING:
    from pathlib import Path


def record_row(path: str, data: bytes) -> str:
    """The RECORD row of a file *path* holding *data*."""
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


def target_of(venv: Path) -> Target:
    """*venv* as a target (this interpreter's answers, with the venv's prefix and site)."""
    data = _query.query()
    site = str(site_packages(venv))
    data.update(
        prefix=str(venv), sites=[site], purelib=site, user_site=None, executable=str(venv / "bin/python")
    )
    return Target.from_query(data)
