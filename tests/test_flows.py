"""End-to-end: environments built by the real tools validate right after a sync, and the
same three kinds of drift are named exactly afterwards."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.helpers import DRIFT, clean_env, drift, pyenv_python, python_project, run, tether, tool

if TYPE_CHECKING:
    from pathlib import Path

    from tests.helpers import MakeVenv

pytestmark = pytest.mark.flows


def assert_valid(python: Path, lock: Path) -> None:
    proc = tether("validate", "-p", python, "--lock", lock, "--format", "json")
    report = json.loads(proc.stdout)
    assert (proc.returncode, report["valid"], report["records"]) == (0, True, []), proc.stderr


def assert_drift(python: Path, lock: Path) -> None:
    proc = tether("validate", "-p", python, "--lock", lock, "--format", "json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 1, proc.stderr
    assert {(r["name"], r["status"]) for r in report["records"]} == DRIFT


@pytest.fixture(params=["3.11", "3.12"])
def python(request: pytest.FixtureRequest) -> str:
    return pyenv_python(request.param)


def test_pip_freeze(make_venv: MakeVenv, tmp_path: Path, python: str) -> None:
    venv = make_venv(python=python, seed=True)
    py = venv / "bin" / "python"
    run(py, "-m", "pip", "install", "-q", "requests==2.32.3")
    lock = tmp_path / "requirements.txt"
    lock.write_text(run(py, "-m", "pip", "freeze").stdout)
    assert_valid(py, lock)
    drift(py)
    assert_drift(py, lock)


def test_pip_compile_and_pip_sync(make_venv: MakeVenv, tmp_path: Path, python: str) -> None:
    (tmp_path / "requirements.in").write_text("requests==2.32.3\n")
    # pip-compile resolves for its own interpreter; requests' tree is the same on every 3.x.
    run(
        tool("pip-compile"),
        "-q",
        "--generate-hashes",
        "-o",
        "requirements.txt",
        "requirements.in",
        cwd=tmp_path,
    )
    venv = make_venv(python=python, seed=True)
    py = venv / "bin" / "python"
    run(tool("pip-sync"), "-q", "--python-executable", py, "requirements.txt", cwd=tmp_path)
    lock = tmp_path / "requirements.txt"
    assert "--hash=sha256:" in lock.read_text()
    assert_valid(py, lock)
    drift(py)
    assert_drift(py, lock)


def test_uv_pip_compile_and_sync(make_venv: MakeVenv, tmp_path: Path, python: str) -> None:
    (tmp_path / "requirements.in").write_text("requests==2.32.3\n")
    run(
        tool("uv"),
        "pip",
        "compile",
        "-q",
        "--generate-hashes",
        "--python",
        python,
        "requirements.in",
        "-o",
        "requirements.txt",
        cwd=tmp_path,
    )
    venv = make_venv(python=python)
    py = venv / "bin" / "python"
    run(tool("uv"), "pip", "sync", "-q", "--python", py, "requirements.txt", cwd=tmp_path)
    lock = tmp_path / "requirements.txt"
    assert_valid(py, lock)
    drift(py)
    assert_drift(py, lock)


def test_uv_export_pylock_and_sync(make_venv: MakeVenv, tmp_path: Path, python: str) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["requests==2.32.3"]\n'
    )
    run(tool("uv"), "lock", "-q", "--python", python, cwd=tmp_path, env=clean_env())
    run(
        tool("uv"),
        "export",
        "-q",
        "--format",
        "pylock.toml",
        "--no-emit-project",
        "-o",
        "pylock.toml",
        cwd=tmp_path,
    )
    venv = make_venv(python=python)
    py = venv / "bin" / "python"
    run(tool("uv"), "pip", "sync", "-q", "--python", py, "pylock.toml", cwd=tmp_path)
    lock = tmp_path / "pylock.toml"
    assert_valid(py, lock)
    drift(py)
    assert_drift(py, lock)


APP = """\
[project]
name = "app"
version = "0"
requires-python = ">=3.9"
dependencies = ["six==1.16.0"]
[project.optional-dependencies]
dev = ["iniconfig"]
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""


def app_project(root: Path) -> Path:
    return python_project(root, APP, "app")


def test_uv_export_with_the_editable_project_and_a_relative_lock(tmp_path: Path) -> None:
    """`uv export` writes `-e .`; read through a relative --lock it is the installed project."""
    project = app_project(tmp_path / "app")
    run(tool("uv"), "lock", "-q", cwd=project)
    run(tool("uv"), "sync", "-q", "--all-extras", "--python", pyenv_python("3.11"), cwd=project)
    run(tool("uv"), "export", "-q", "--all-extras", "--no-hashes", "-o", "requirements.txt", cwd=project)
    assert "-e .\n" in (project / "requirements.txt").read_text()
    proc = tether("validate", "--lock", "requirements.txt", "--format", "json", cwd=project)
    assert (proc.returncode, json.loads(proc.stdout)["records"]) == (0, []), proc.stdout + proc.stderr


def test_pip_install_r_of_the_editable_project_with_an_extra(make_venv: MakeVenv, tmp_path: Path) -> None:
    """`-e .[dev]` in a hand-written requirements file, installed by pip itself."""
    project = app_project(tmp_path / "app")
    (project / "requirements-dev.txt").write_text("-e .[dev]\n")
    py = make_venv(python=pyenv_python("3.11"), seed=True) / "bin" / "python"
    run(py, "-m", "pip", "install", "-q", "-r", "requirements-dev.txt", cwd=project)
    proc = tether("validate", "-p", py, "--lock", "requirements-dev.txt", "--format", "json", cwd=project)
    assert (proc.returncode, json.loads(proc.stdout)["records"]) == (0, []), proc.stdout + proc.stderr
    # The extra is followed: what it requires must be there.
    run(py, "-m", "pip", "uninstall", "-q", "-y", "iniconfig")
    proc = tether("validate", "-p", py, "--lock", "requirements-dev.txt", "--format", "json", cwd=project)
    assert [(r["name"], r["status"]) for r in json.loads(proc.stdout)["records"]] == [
        ("iniconfig", "missing")
    ]
