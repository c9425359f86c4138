"""site-install --verify-files: the start after a change of the environment verifies files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import MakeDistVenv, clean_env, site_packages, tether
from tests.integrity.helpers import Install


def start(venv: Path) -> str:
    proc = subprocess.run(
        [str(venv / "bin/python"), "-c", "pass"], capture_output=True, text=True, env=clean_env(), check=False
    )
    assert proc.returncode == 0
    return proc.stderr


@pytest.mark.flows
@pytest.mark.parametrize("verify_files", [True, False], ids=["verify-files", "without"])
def test_files_are_verified_at_the_start_after_an_install(
    dist_venv: MakeDistVenv, install: Install, tmp_path: Path, verify_files: bool
) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "demo", {"demo/__init__.py": b"x = 1\n"})
    lock = tmp_path / "requirements.txt"
    lock.write_text("demo==1.0\n")
    flag = ["--verify-files"] if verify_files else []
    proc = tether("site-install", "-p", venv, "--lock", lock, "--superset", *flag)
    assert proc.returncode == 0, proc.stderr
    assert start(venv) == ""
    (site / "demo/__init__.py").write_text("x = 2\n")
    # An edit inside a package changes no stamp a start takes: not seen yet.
    assert start(venv) == ""
    install(site, "other", {"other/__init__.py": b""})  # an install: the site directory changes
    err = start(venv)
    if verify_files:
        assert "demo  modified-file: demo/__init__.py: its sha256 differs from RECORD's" in err
        assert start(venv) == err  # the stored verdict, until the next change
    else:
        assert err == ""
    status = tether("site-status", "-p", venv).stdout
    assert ("modified-file" in status) is verify_files
