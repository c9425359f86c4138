"""Real projects locked and synced by uv, poetry and pipenv: valid right after the sync,
and exactly the seed drift named afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import DRIFT, clean_env, drift, index_url, pyenv_python, python_project, run, tether, tool

pytestmark = pytest.mark.flows


def records(python: Path, lock: Path, *args: str) -> tuple[int, set[tuple[str, str]]]:
    proc = tether("validate", "-p", python, "--lock", lock, "--format", "json", *args)
    assert proc.returncode in {0, 1}, proc.stderr
    return proc.returncode, {(r["name"], r["status"]) for r in json.loads(proc.stdout)["records"]}


UV_PROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = [
    "requests==2.32.3",
    "click",
    "tomli; python_version < '3.11'",
    "colorama; sys_platform == 'win32'",
]

[project.optional-dependencies]
cli = ["rich"]

[dependency-groups]
dev = ["iniconfig"]

[build-system]
requires = ["uv_build>=0.8,<0.20"]
build-backend = "uv_build"
"""


@pytest.mark.parametrize("minor", ["3.11", "3.9"])
def test_uv_project(tmp_path: Path, minor: str) -> None:
    python = pyenv_python(minor)
    python_project(tmp_path, UV_PROJECT, "demo")
    run(tool("uv"), "lock", "-q", cwd=tmp_path)
    lock_text = (tmp_path / "uv.lock").read_text()
    assert lock_text.count('[[package]]\nname = "click"') == 2  # forked: 3.9 gets another click
    run(tool("uv"), "sync", "--frozen", "-q", "--python", python, cwd=tmp_path)
    venv, lock = tmp_path / ".venv", tmp_path / "uv.lock"
    assert records(venv, lock) == (0, set())
    # tomli only below 3.11, colorama only on Windows, rich only with the extra.
    (site,) = venv.glob("lib/python3*/site-packages")
    names = {p.name.split("-")[0] for p in site.glob("*.dist-info")}
    assert ("tomli" in names) is (minor == "3.9") and "colorama" not in names and "rich" not in names
    assert records(venv, lock, "--extra", "cli") == (1, {("rich", "missing"), ("markdown-it-py", "missing"),
                                                         ("mdurl", "missing"), ("pygments", "missing")})  # fmt: skip
    run(tool("uv"), "sync", "--frozen", "-q", "--extra", "cli", "--python", python, cwd=tmp_path)
    assert records(venv, lock, "--extra", "cli") == (0, set())
    assert records(venv, lock)[0] == 1  # without the extra, rich is not allowed
    drift(venv / "bin" / "python")
    assert records(venv, lock, "--extra", "cli") == (1, DRIFT)


def test_poetry_project(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("")
    python_project(
        tmp_path,
        package="pdemo",
        pyproject=f"""\
[project]
name = "pdemo"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["requests (==2.32.3)", "click", "colorama ; sys_platform == 'win32'"]

[tool.poetry]
packages = [{{ include = "pdemo", from = "src" }}]

[tool.poetry.group.dev.dependencies]
iniconfig = "*"

[[tool.poetry.source]]
name = "index"
url = "{index_url(tmp_path)}"
priority = "primary"

[build-system]
requires = ["poetry-core>=2.0"]
build-backend = "poetry.core.masonry.api"
""",
    )
    env = clean_env(POETRY_VIRTUALENVS_IN_PROJECT="true", POETRY_CACHE_DIR=str(tmp_path / ".cache"))
    poetry = tool("poetry")
    run(poetry, "lock", "-q", cwd=tmp_path, env=env)
    run(poetry, "env", "use", "-q", pyenv_python("3.11"), cwd=tmp_path, env=env)
    run(poetry, "sync", "-q", cwd=tmp_path, env=env)
    venv, lock = tmp_path / ".venv", tmp_path / "poetry.lock"
    assert records(venv, lock) == (0, set())
    assert records(venv, lock, "--without-group", "dev") == (1, {("iniconfig", "unexpected")})
    drift(venv / "bin" / "python")
    assert records(venv, lock) == (1, DRIFT)


def test_pipenv_project(tmp_path: Path) -> None:
    (tmp_path / "Pipfile").write_text(f"""\
[[source]]
url = "{index_url(tmp_path)}"
verify_ssl = true
name = "index"

[packages]
requests = "==2.32.3"

[dev-packages]
iniconfig = "*"
""")
    env = clean_env(PIPENV_VENV_IN_PROJECT="1", PIPENV_YES="1", PIPENV_NOSPIN="1", PIPENV_IGNORE_VIRTUALENVS="1",
                    PIPENV_CACHE_DIR=str(tmp_path / ".cache"))  # fmt: skip
    pipenv = tool("pipenv")
    run(pipenv, "lock", "--python", pyenv_python("3.11"), cwd=tmp_path, env=env)
    run(pipenv, "sync", cwd=tmp_path, env=env)
    venv, lock = tmp_path / ".venv", tmp_path / "Pipfile.lock"
    assert records(venv, lock) == (0, set())
    assert records(venv, lock, "--group", "dev") == (1, {("iniconfig", "missing")})
    run(pipenv, "sync", "--dev", cwd=tmp_path, env=env)
    assert records(venv, lock, "--group", "dev") == (0, set())
    drift(venv / "bin" / "python")
    assert records(venv, lock, "--group", "dev") == (1, DRIFT)
