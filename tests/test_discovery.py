"""Finding the target and the bound as uv does, on a real uv project with no active venv."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.helpers import clean_env, pyenv_python, run, site_packages, tether, tool

if TYPE_CHECKING:
    from pathlib import Path

PYPROJECT = """\
[project]
name = "app"
version = "0"
requires-python = ">=3.9"
dependencies = ["six==1.16.0"]
"""


@pytest.mark.flows
def test_a_uv_project_is_judged_from_anywhere_inside_it(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT)
    run(tool("uv"), "lock", "-q", cwd=project)
    run(tool("uv"), "sync", "--frozen", "-q", "--python", pyenv_python("3.11"), cwd=project)
    deep = project / "src" / "app"
    deep.mkdir(parents=True)
    venv_python = project / ".venv" / "bin" / "python"
    env = clean_env()
    assert "VIRTUAL_ENV" not in env
    for where in (project, deep):
        proc = tether("validate", "--format", "json", cwd=where, env=env)
        report = json.loads(proc.stdout)
        assert (proc.returncode, report["valid"]) == (0, True), proc.stderr
        assert report["python"] == str(venv_python)
        assert report["bound_format"] == "uv.lock" and report["bound"].endswith("uv.lock")
    # site-install from the subfolder hooks the project's .venv against its uv.lock.
    proc = tether("site-install", cwd=deep, env=env)
    assert proc.returncode == 0, proc.stderr
    assert str(site_packages(project / ".venv")) in proc.stdout
    status = tether("site-status", cwd=deep, env=env)
    assert f"bound: {project / 'uv.lock'}" in status.stdout
    assert tether("site-uninstall", cwd=deep, env=env).returncode == 0


def test_no_bound_up_to_the_repository_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "pkg").mkdir()
    # A bound above the repository is not this repository's.
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")
    proc = tether("validate", "-p", pyenv_python("3.11"), cwd=repo / "pkg")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "no bound file found here or in a parent up to the repository's root" in proc.stderr
