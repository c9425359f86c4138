"""Shared fixtures: real virtual environments, real ``.dist-info`` folders, the test
interpreter as a target, and a cache folder of the session's own. The helpers these use
(and tests import) live in :mod:`tests.helpers`; no test imports this module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.helpers import MakeDist, MakeDistVenv, MakeVenv, run, site_packages, tool
from tether import _query
from tether.target import Target

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Results cached by `tether validate` go to a folder of the session's (one per xdist
    worker, removed with pytest's other temporary folders), never the user's home. A
    ``TETHER_CACHE_DIR`` set from outside is kept, as before."""
    with pytest.MonkeyPatch.context() as patch:
        if "TETHER_CACHE_DIR" not in os.environ:
            patch.setenv("TETHER_CACHE_DIR", str(tmp_path_factory.mktemp("tether-cache")))
        yield


@pytest.fixture
def make_venv(tmp_path: Path) -> MakeVenv:
    """Create a real virtual environment with uv (``seed`` adds pip via ``python -m venv``)."""

    def make(name: str = ".venv", *, python: str | None = None, seed: bool = False) -> Path:
        path = tmp_path / name
        if seed:
            run(python or sys.executable, "-m", "venv", path)
        else:
            run(tool("uv"), "venv", "-q", "--python", python or sys.executable, path)
        return path

    return make


@pytest.fixture
def make_dist() -> MakeDist:
    """Write a real ``.dist-info`` folder as an installer would."""

    def make(
        site: Path,
        name: str,
        version: str | None = "1.0",
        *,
        requires: Iterable[str] = (),
        direct_url: dict[str, object] | None = None,
        folder: str | None = None,
    ) -> Path:
        dist = site / (folder or f"{name.replace('-', '_')}-{version}.dist-info")
        dist.mkdir(parents=True)
        lines = ["Metadata-Version: 2.1", f"Name: {name}"]
        if version is not None:
            lines.append(f"Version: {version}")
        lines += [f"Requires-Dist: {r}" for r in requires]
        (dist / "METADATA").write_text("\n".join(lines) + "\n\nA long description.\n")
        (dist / "INSTALLER").write_text("pip\n")
        if direct_url is not None:
            (dist / "direct_url.json").write_text(json.dumps(direct_url))
        return dist

    return make


@pytest.fixture(scope="session")
def here() -> Target:
    """The interpreter running the tests, as a target (Linux, CPython 3.11 in CI)."""
    return Target.from_query(_query.query())


@pytest.fixture
def dist_venv(tmp_path: Path, make_dist: MakeDist) -> MakeDistVenv:
    """A real venv (``python -m venv --without-pip``) holding hand-written distributions."""

    def make(dists: dict[str, str], name: str = "venv") -> Path:
        venv = tmp_path / name
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
        site = site_packages(venv)
        for dist, version in dists.items():
            make_dist(site, dist, version)
        return venv

    return make
