"""The README's first command, as written: tether installed in a venv of its own, the
example project synced, validated, drifted, and the drift caught."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import clean_env

pytestmark = pytest.mark.flows

ROOT = Path(__file__).resolve().parents[1]


def test_scripts_try_shows_a_valid_environment_then_the_drift_caught(tmp_path: Path) -> None:
    env = clean_env(TETHER_TRY_HOME=str(tmp_path), TETHER_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run(
        [ROOT / "scripts" / "try"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "valid: " in out and "match requirements.txt" in out
    assert "idna     mismatch    3.6" in out and "six      unexpected" in out
    assert "repair: " in out and "tether caught the drift" in out
    # Nothing was written into the checkout.
    assert not (ROOT / "examples" / "app" / ".venv").exists()
    assert os.listdir(tmp_path)
