"""Stale locks with the real tools: uv, poetry and pipenv lock a small project; each edit
of its project file (a dependency added, a bound raised, a group added, requires-python
changed) makes exactly one ``stale-lock`` finding, as the tool's own check says; undoing
it, or re-locking, makes none. And the public projects' real locks get the verdict their
tool gives them, offline."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

import pytest

from tests.helpers import REAL_LOCKS, clean_env, index_url, pyenv_python, run, tether, tool

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

pytestmark = pytest.mark.flows


def stale_records(venv: Path, lock: Path, *args: str) -> list[dict[str, object]]:
    proc = tether("validate", "-p", venv, "--lock", lock, "--format", "json", *args)
    assert proc.returncode in {0, 1}, proc.stderr
    report = json.loads(proc.stdout)
    found = [r for r in report["records"] if r["status"] == "stale-lock"]
    assert report["summary"]["stale-lock"] == len(found)
    return found


def native_says_stale(command: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> bool:
    """The tool's own check: exit code 0 is current, 1 with its message is stale."""
    proc = run(*command, cwd=cwd, env=env, check=False)
    said = proc.stdout + proc.stderr
    if proc.returncode == 0:
        return False
    assert any(m in said for m in ("needs to be updated", "changed significantly", "out-of-date")), said
    return True


#: (what changed, the edit: (old text, new text)) for each project file; the reason a
#: finding gives must name what it says (for uv, which records what it locked from) or the
#: project file (poetry and pipenv record a hash of it).
Edit = tuple[str, str, str]


def check_edits(
    project: Path,
    lock: Path,
    venv: Path,
    edits: list[Edit],
    native: Callable[[], bool],
    relock: Callable[[], object],
    named: Callable[[str, str], str],
) -> None:
    base = project.read_text()
    assert stale_records(venv, lock) == [] and native() is False
    for n, (what, old, new) in enumerate(edits):
        assert old in base, what
        project.write_text(base.replace(old, new))
        found = stale_records(venv, lock)
        assert len(found) == 1, (what, found)
        assert (
            found[0]["name"] == lock.name and found[0]["installed"] is None and found[0]["expected"] is None
        )
        assert named(what, new) in str(found[0]["detail"]), (what, found[0]["detail"])
        assert native() is True, what
        if n == 0:
            # --frozen, as uv's: the lock is taken as it is.
            assert stale_records(venv, lock, "--frozen") == []
        project.write_text(base)
        # Undone, the lock is current again (the tool agrees: asked once, to keep this quick).
        assert stale_records(venv, lock) == [], what
        assert n or native() is False
    every = base
    for _, old, new in edits:
        every = every.replace(old, new)
    project.write_text(every)
    assert len(stale_records(venv, lock)) == 1 and native() is True
    relock()
    assert stale_records(venv, lock) == [] and native() is False


UV_PROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["iniconfig>=1.0", "packaging; python_version >= '3.10'"]

[dependency-groups]
dev = ["iniconfig"]
"""

UV_EDITS: list[Edit] = [
    ("dependency added", '"iniconfig>=1.0",', '"iniconfig>=1.0", "six",'),
    ("bound raised", '"iniconfig>=1.0"', '"iniconfig>=2"'),
    ("group added", 'dev = ["iniconfig"]', 'dev = ["iniconfig"]\nlint = ["six"]'),
    ("requires-python changed", 'requires-python = ">=3.9"', 'requires-python = ">=3.10"'),
]


def uv_named(what: str, new: str) -> str:
    return {
        "dependency added": "demo requires six is not in uv.lock",
        "bound raised": "demo requires iniconfig>=2 (the lock has iniconfig>=1.0)",
        "group added": "has dependency group 'lint', which uv.lock has not",
        "requires-python changed": "requires-python is >=3.10; uv.lock has >=3.9",
    }[what]


def test_uv(tmp_path: Path) -> None:
    uv = tool("uv")
    project = tmp_path / "pyproject.toml"
    # Written as a user would: uv records the marker as python_full_version >= '3.10' and
    # the group's requirement without a specifier; neither is a difference.
    project.write_text(UV_PROJECT)
    run(uv, "lock", "-q", cwd=tmp_path)
    run(uv, "venv", "-q", "--python", pyenv_python("3.11"), tmp_path / ".venv")
    check_edits(
        project,
        tmp_path / "uv.lock",
        tmp_path / ".venv",
        UV_EDITS,
        native=lambda: native_says_stale([uv, "lock", "--check", "--offline"], tmp_path),
        relock=lambda: run(uv, "lock", "-q", cwd=tmp_path),
        named=uv_named,
    )


def test_poetry(tmp_path: Path) -> None:
    poetry = tool("poetry")
    project = tmp_path / "pyproject.toml"
    project.write_text(f"""\
[project]
name = "pdemo"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["iniconfig (>=1.0)"]

[tool.poetry]
package-mode = false

[tool.poetry.group.dev.dependencies]
packaging = "*"

[[tool.poetry.source]]
name = "index"
url = "{index_url(tmp_path)}"
priority = "primary"
""")
    env = clean_env(POETRY_CACHE_DIR=str(tmp_path / ".cache"), POETRY_VIRTUALENVS_CREATE="false")
    run(poetry, "lock", "-q", cwd=tmp_path, env=env)
    run(tool("uv"), "venv", "-q", "--python", pyenv_python("3.11"), tmp_path / ".venv")
    edits: list[Edit] = [
        ("dependency added", '"iniconfig (>=1.0)"', '"iniconfig (>=1.0)", "six"'),
        ("bound raised", '"iniconfig (>=1.0)"', '"iniconfig (>=2)"'),
        ("group added", "[[tool.poetry.source]]", '[tool.poetry.group.lint.dependencies]\nsix = "*"\n\n'
                                                  "[[tool.poetry.source]]"),
        ("requires-python changed", 'requires-python = ">=3.9"', 'requires-python = ">=3.10"'),
    ]  # fmt: skip
    check_edits(
        project,
        tmp_path / "poetry.lock",
        tmp_path / ".venv",
        edits,
        native=lambda: native_says_stale([poetry, "check", "--lock"], tmp_path, env),
        relock=lambda: run(poetry, "lock", "-q", cwd=tmp_path, env=env),
        named=lambda what, new: "pyproject.toml: ",
    )


def test_pipenv(tmp_path: Path) -> None:
    pipenv = tool("pipenv")
    project = tmp_path / "Pipfile"
    project.write_text(f"""\
[[source]]
url = "{index_url(tmp_path)}"
verify_ssl = true
name = "index"

[packages]
iniconfig = ">=1.0"

[dev-packages]
packaging = "*"

[requires]
python_version = "3.11"
""")
    env = clean_env(PIPENV_VENV_IN_PROJECT="1", PIPENV_YES="1", PIPENV_NOSPIN="1", PIPENV_IGNORE_VIRTUALENVS="1",
                    PIPENV_CACHE_DIR=str(tmp_path / ".cache"))  # fmt: skip
    python = pyenv_python("3.11")
    run(pipenv, "lock", "--python", python, cwd=tmp_path, env=env)
    edits: list[Edit] = [
        ("dependency added", 'iniconfig = ">=1.0"', 'iniconfig = ">=1.0"\nsix = "*"'),
        ("bound raised", 'iniconfig = ">=1.0"', 'iniconfig = ">=2"'),
        ("group added", "[requires]", '[docs]\nsix = "*"\n\n[requires]'),
        ("requires-python changed", 'python_version = "3.11"', 'python_full_version = "3.11.7"'),
    ]
    check_edits(
        project,
        tmp_path / "Pipfile.lock",
        tmp_path / ".venv",
        edits,
        native=lambda: native_says_stale([pipenv, "verify"], tmp_path, env),
        relock=lambda: run(pipenv, "lock", cwd=tmp_path, env=env),
        named=lambda what, new: "Pipfile: ",
    )


#: The public projects' locks that have their project file in tests/data/shared-locks, with
#: the native tool's verdict, run offline on the same folder (the test runs it again).
#: fastmcp and the fastapi template are workspaces whose members' folders were not kept:
#: uv finds the [manifest] members gone ("mismatched members"; for the template, whose
#: root declares no requires-python, also another requires-python), and so does tether.
#: pendulum's pyproject.toml changed after its poetry.lock was written (poetry 1.8.4).
SHARED: list[tuple[str, bool]] = [
    ("uv-lock/pallets__flask/uv.lock", False),
    ("uv-lock/PrefectHQ__fastmcp/uv.lock", True),
    ("uv-lock/fastapi__full-stack-fastapi-template/uv.lock", True),
    ("poetry-lock/Davidy22__SkunkBooth/poetry.lock", False),
    ("poetry-lock/python-poetry__poetry/poetry.lock", False),
    ("poetry-lock/sdispater__pendulum/poetry.lock", True),
]


def uv_verdict(folder: Path) -> bool:
    """``uv lock --check --offline``, verbose: uv says why it resolves again before it finds
    it cannot offline (a dynamic project's build backend, a registry package not cached)."""
    proc = run(tool("uv"), "lock", "--check", "--offline", "-v", cwd=folder, check=False)
    if proc.returncode == 0:
        return False
    assert "Resolving despite existing lockfile" in proc.stderr, proc.stderr
    return True


def poetry_verdict(folder: Path) -> bool:
    # poetry check validates the whole pyproject first: a readme it names must exist (the
    # projects' README files were not kept).
    for name in ("README.md", "README.rst"):
        (folder / name).touch()
    return native_says_stale(
        [tool("poetry"), "check", "--lock"], folder, clean_env(POETRY_VIRTUALENVS_CREATE="false")
    )


@pytest.mark.parametrize(("relpath", "stale"), SHARED)
def test_shared_locks_against_their_tools(tmp_path: Path, relpath: str, stale: bool) -> None:
    source = (REAL_LOCKS / relpath).parent
    folder = tmp_path / source.name
    shutil.copytree(source, folder)
    native = uv_verdict(folder) if relpath.endswith("uv.lock") else poetry_verdict(folder)
    assert native is stale
    # The uv.lock of the template needs Python 3.14, which this machine may not have: the
    # verdict is read with the reader, for a 3.14 target, as tests/sources/test_shared_locks.py does.
    from dataclasses import replace

    from tests.helpers import linux_311, read_bound
    from tether.sources import reader_for

    t = linux_311()
    t314 = replace(t, markers={**t.markers, "python_version": "3.14", "python_full_version": "3.14.0"})
    lock = folder / relpath.rsplit("/", 1)[1]
    bound = read_bound(reader_for(lock), lock, target=t314 if "3.14" in lock.read_text()[:200] else t)
    assert bool(bound.stale) is stale, bound.stale


UV_SPELLINGS_PROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["iniconfig>=1.0,<3; python_version>='3.8'", "six"]

[dependency-groups]
dev = ["iniconfig"]
"""

#: (old, new): edits of UV_SPELLINGS_PROJECT; whether each makes the lock stale is
#: uv's to say (uv lock --check), and tether's verdict must be the same.
UV_SPELLINGS = [
    pytest.param("", "", id="as locked"),
    pytest.param('"six"', '"Six"', id="name case"),
    pytest.param('"six"', '"six", "six"', id="a requirement twice"),
    pytest.param(">=1.0,<3", "<3,>=1", id="clauses reordered"),
    pytest.param(">=1.0,<3", ">=1.0,<3,>=0.5", id="a clause implied"),
    pytest.param(">=1.0,<3", ">=1.0,<3,!=2.5", id="an exclusion in range"),
    pytest.param("python_version>='3.8'", 'python_version >= \\"3.8\\"', id="marker quotes"),
    pytest.param("; python_version>='3.8'", "", id="marker requires-python implies"),
    pytest.param("python_version>='3.8'", "python_version>='3.11'", id="marker raised"),
    pytest.param('"six"', "\"six; platform_system != 'Windows'\"", id="platform_system marker"),
    pytest.param(
        '[dependency-groups]\ndev = ["iniconfig"]',
        '[tool.uv]\ndev-dependencies = ["iniconfig"]',
        id="legacy dev",
    ),
    pytest.param('requires-python = ">=3.10"', 'requires-python = ">=3.10.0"', id="requires-python spelled"),
    pytest.param("[project]", "[tool.not-a-project]", id="no [project]"),
]


def test_uv_spellings_as_uv_holds_them(tmp_path: Path) -> None:
    """Each edit of a locked project, spelled as uv holds equal or not: tether's verdict is
    uv lock --check's."""
    uv = tool("uv")
    project = tmp_path / "pyproject.toml"
    project.write_text(UV_SPELLINGS_PROJECT)
    run(uv, "lock", "-q", cwd=tmp_path)
    run(uv, "venv", "-q", "--python", pyenv_python("3.11"), tmp_path / ".venv")
    differ = []
    for case in UV_SPELLINGS:
        old, new = case.values
        assert isinstance(old, str) and isinstance(new, str) and old in UV_SPELLINGS_PROJECT
        project.write_text(UV_SPELLINGS_PROJECT.replace(old, new))
        native = native_says_stale([uv, "lock", "--check", "--offline"], tmp_path)
        if bool(stale_records(tmp_path / ".venv", tmp_path / "uv.lock")) != native:
            differ.append(f"{case.id}: uv says {'stale' if native else 'current'}")
    assert differ == []
