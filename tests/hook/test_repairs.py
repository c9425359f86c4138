"""Every repair hint repairs: in exit mode, on an environment that drifted three ways (a
package at the wrong version, one missing, one that does not belong), the ``fix:`` line
the start-up check prints is run exactly as printed, in the directory it names, with the
real tool; the next start is silent and ``tether validate`` says valid."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import BIN, clean_env, index_url, pyenv_python, run, start, tether, tool
from tests.helpers import drift as seed_drift

pytestmark = pytest.mark.flows

#: What each environment is synced to before it drifts (idna's mismatch is 3.6).
DEPENDENCIES = ["idna==3.7", "iniconfig"]


def drift(py: Path) -> None:
    """idna at another version, iniconfig gone, six installed without being asked for."""
    seed_drift(py, lost="iniconfig")


def shell_env(**extra: str) -> dict[str, str]:
    """A user's shell: the tools on PATH, no virtual environment active."""
    return clean_env(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra)


def fix_line(stderr: str) -> tuple[str, Path]:
    """The command of the hook's ``fix:`` line and the directory it runs in."""
    (line,) = [line for line in stderr.splitlines() if line.startswith("  fix: ")]
    command, _, where = line.removeprefix("  fix: ").rpartition("  (in ")
    assert command and where.endswith(")"), line
    return command, Path(where[:-1])


def repair(py: Path, lock: Path, *options: str, env: dict[str, str] | None = None) -> str:
    """Drift *py*, install the check in exit mode, run the fix it prints; return the fix."""
    drift(py)
    proc = tether("site-install", "-p", py, "--lock", lock, *options, "--on-drift", "exit", "--force")
    assert proc.returncode == 0, proc.stderr
    code, out, err = start(py)
    assert code == 1 and out == "" and "not starting (exit mode)" in err, err
    for name in ("idna", "iniconfig", "six"):
        assert f"  {name} " in err, err
    command, where = fix_line(err)
    # tether validate prints the same command (run where the hook says, as a user would).
    shown = tether("validate", "-p", py, "--lock", lock, *options, cwd=where, env=shell_env())
    assert f"\nrepair: {command}\n" in shown.stdout, shown.stdout
    run("bash", "-c", command, cwd=where, env=env or shell_env())
    assert start(py) == (0, "ok\n", "")
    proc = tether("validate", "-p", py, "--lock", lock, *options)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return command


def seeded_venv(tmp_path: Path) -> Path:
    """A venv with pip in it (``python -m venv``), as pip and pip-sync need."""
    venv = tmp_path / ".venv"
    run(pyenv_python("3.11"), "-m", "venv", venv)
    return venv / "bin" / "python"


def test_pip_freeze(tmp_path: Path) -> None:
    py = seeded_venv(tmp_path)
    run(py, "-m", "pip", "install", "-q", *DEPENDENCIES)
    lock = tmp_path / "requirements.txt"
    lock.write_text(run(py, "-m", "pip", "freeze").stdout)
    assert repair(py, lock) == f"{py} -m pip install -r {lock} && {py} -m pip uninstall -y six"


def test_pip_sync(tmp_path: Path) -> None:
    py = seeded_venv(tmp_path)
    (tmp_path / "requirements.in").write_text("\n".join(DEPENDENCIES) + "\n")
    run(tool("pip-compile"), "-q", "-o", "requirements.txt", "requirements.in", cwd=tmp_path)
    lock = tmp_path / "requirements.txt"
    run(tool("pip-sync"), "-q", "--python-executable", py, lock, cwd=tmp_path)
    assert repair(py, lock) == f"pip-sync --python-executable {py} {lock}"


@pytest.mark.parametrize("name", ["requirements.txt", "pylock.toml"])
def test_uv_pip_sync(tmp_path: Path, name: str) -> None:
    venv = tmp_path / ".venv"
    run(tool("uv"), "venv", "-q", "--python", pyenv_python("3.11"), venv)
    py, lock = venv / "bin" / "python", tmp_path / name
    (tmp_path / "requirements.in").write_text("\n".join(DEPENDENCIES) + "\n")
    run(tool("uv"), "pip", "compile", "-q", "--python", py, "requirements.in", "-o", name, cwd=tmp_path)
    run(tool("uv"), "pip", "sync", "-q", "--python", py, name, cwd=tmp_path)
    assert repair(py, lock) == f"uv pip sync --python {py} {lock}"


UV_PROJECT = """\
[project]
name = "app"
version = "0"
requires-python = ">=3.9"
dependencies = ["idna==3.7"]

[dependency-groups]
dev = ["iniconfig"]
"""


@pytest.mark.parametrize("where", [".venv", "elsewhere"])
def test_uv_sync(tmp_path: Path, where: str) -> None:
    """The project's .venv, or any other environment (``UV_PROJECT_ENVIRONMENT``)."""
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(UV_PROJECT)
    run(tool("uv"), "lock", "-q", cwd=project)
    venv = project / ".venv" if where == ".venv" else tmp_path / "env"
    env = clean_env(UV_PROJECT_ENVIRONMENT=str(venv))
    run(tool("uv"), "sync", "-q", "--frozen", "--python", pyenv_python("3.11"), cwd=project, env=env)
    py = venv / "bin" / "python"
    command = repair(py, project / "uv.lock")
    assert command == ("uv sync" if where == ".venv" else f"UV_PROJECT_ENVIRONMENT={venv} uv sync")


def test_uv_sync_of_a_project_bound_by_its_pyproject(tmp_path: Path) -> None:
    """A uv project checked against its pyproject.toml: uv sync, without uv's default
    group (dev: six here), which a pyproject bound does not select."""
    (tmp_path / "pyproject.toml").write_text(
        UV_PROJECT.replace('["idna==3.7"]', '["idna==3.7", "iniconfig"]').replace('["iniconfig"]', '["six"]')
    )
    run(tool("uv"), "lock", "-q", cwd=tmp_path)
    run(tool("uv"), "sync", "-q", "--frozen", "--python", pyenv_python("3.11"), cwd=tmp_path)
    command = repair(tmp_path / ".venv" / "bin" / "python", tmp_path / "pyproject.toml")
    assert command == "uv sync --no-default-groups"


POETRY_PROJECT = """\
[project]
name = "papp"
version = "0"
requires-python = ">=3.9"
dependencies = ["idna (==3.7)"]

[tool.poetry]
package-mode = false

[tool.poetry.group.dev.dependencies]
iniconfig = "*"

[[tool.poetry.source]]
name = "index"
url = "{url}"
priority = "primary"
"""


@pytest.mark.parametrize("where", [".venv", "elsewhere"])
def test_poetry_sync(tmp_path: Path, where: str) -> None:
    """The project's .venv, or another environment (``VIRTUAL_ENV``, which poetry uses)."""
    (tmp_path / "pyproject.toml").write_text(POETRY_PROJECT.format(url=index_url(tmp_path)))
    env = shell_env(POETRY_VIRTUALENVS_IN_PROJECT="true", POETRY_CACHE_DIR=str(tmp_path / ".cache"))
    poetry = tool("poetry")
    if where == ".venv":
        venv = tmp_path / ".venv"
        run(poetry, "lock", "-q", cwd=tmp_path, env=env)
        run(poetry, "env", "use", "-q", pyenv_python("3.11"), cwd=tmp_path, env=env)
        run(poetry, "sync", "-q", cwd=tmp_path, env=env)
    else:
        venv = tmp_path / "env"
        run(pyenv_python("3.11"), "-m", "venv", venv)
        active = {**env, "VIRTUAL_ENV": str(venv)}
        run(poetry, "lock", "-q", cwd=tmp_path, env=active)
        run(poetry, "sync", "-q", cwd=tmp_path, env=active)
    command = repair(venv / "bin" / "python", tmp_path / "poetry.lock", env=env)
    assert command == ("poetry sync" if where == ".venv" else f"VIRTUAL_ENV={venv} poetry sync")
    assert not (where == "elsewhere" and (tmp_path / ".venv").exists())


@pytest.mark.parametrize("where", [".venv", "elsewhere"])
def test_pipenv_sync_and_clean(tmp_path: Path, where: str) -> None:
    """The dev category checked (``--group dev``): ``pipenv sync --dev``, then ``pipenv
    clean`` for what sync leaves; in the project's .venv or another environment."""
    (tmp_path / "Pipfile").write_text(
        f'[[source]]\nurl = "{index_url(tmp_path)}"\nverify_ssl = true\nname = "index"\n\n'
        '[packages]\nidna = "==3.7"\n\n[dev-packages]\niniconfig = "*"\n'
    )
    env = shell_env(PIPENV_VENV_IN_PROJECT="1", PIPENV_YES="1", PIPENV_NOSPIN="1",
                    PIPENV_CACHE_DIR=str(tmp_path / ".cache"))  # fmt: skip
    venv = tmp_path / ".venv"
    setup = env
    if where == "elsewhere":
        venv = tmp_path / "env"
        run(pyenv_python("3.11"), "-m", "venv", venv)
        setup = {**env, "VIRTUAL_ENV": str(venv)}
    pipenv = tool("pipenv")
    run(pipenv, "lock", "--python", pyenv_python("3.11"), cwd=tmp_path, env=setup)
    run(pipenv, "sync", "--dev", cwd=tmp_path, env=setup)
    command = repair(venv / "bin" / "python", tmp_path / "Pipfile.lock", "--group", "dev", env=env)
    prefix = "" if where == ".venv" else f"VIRTUAL_ENV={venv} "
    assert command == f"{prefix}pipenv sync --dev && {prefix}pipenv clean"
    assert not (where == "elsewhere" and (tmp_path / ".venv").exists())


def test_pip_install_of_a_local_project(tmp_path: Path) -> None:
    """A pyproject bound: pip builds the project in isolation, starting the target's
    Python for its build environment and backend, which exit mode must let run."""
    project = tmp_path / "proj"
    (project / "proj").mkdir(parents=True)
    (project / "proj" / "__init__.py").write_text('"""A project."""\n__version__ = "0.1"\n')
    (project / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "0.1"\ndescription = "A project."\n'
        'dependencies = ["idna==3.7", "iniconfig"]\n\n'
        '[build-system]\nrequires = ["flit_core>=3.4,<4"]\nbuild-backend = "flit_core.buildapi"\n'
    )
    py = seeded_venv(tmp_path)
    run(py, "-m", "pip", "install", "-q", "-e", project)
    command = repair(py, project / "pyproject.toml")
    # Below 3.12, `python -m venv` seeds setuptools, which the project does not name.
    assert command == f"{py} -m pip install -e {project} && {py} -m pip uninstall -y setuptools six"
