"""The adversarial suite's fixtures; what its tests share otherwise (a fixed seed, a
budget, a time limit per case, the record of findings) is in :mod:`tests.adversarial.harness`."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.adversarial.harness import Findings

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="session")
def small_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty venv (no pip) as the CLI's target: scanning it costs nothing."""
    venv = tmp_path_factory.mktemp("adversarial") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return venv


@pytest.fixture
def findings(tmp_path: Path) -> Findings:
    return Findings(tmp_path)
