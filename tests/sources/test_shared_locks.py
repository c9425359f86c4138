"""Every real lock and requirements file in tests/data/shared-locks (public projects' files,
provenance in its README.md) parses, and the number of packages selected for Linux x86_64 /
CPython 3.11 with the tool's defaults is pinned."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tests.helpers import REAL_LOCKS, data_file, linux_311, read_bound, read_named
from tether.errors import BoundError
from tether.models import Bound
from tether.sources import Selection, reader_for
from tether.sources.uv_lock import UvLockReader
from tether.target import Target

CASES = [
    ("pip-compile/freedomofpress__securedrop/admin/requirements.txt", 16),
    ("pip-compile/mozilla__treeherder/requirements/common.txt", 154),
    ("pip-compile/sigstore__sigstore-python/install/requirements.txt", 32),
    ("uv-pip-compile/microsoft__vscode-black-formatter/requirements.txt", 15),
    ("uv-pip-compile/mozilla__pontoon/requirements/prod.txt", 116),
    ("uv-pip-compile/nedbat__coveragepy/requirements/dev.pip", 76),
    ("uv-pip-compile/nedbat__coveragepy/requirements/pins.pip", 0),
    ("pylock/Evernight__lazy-beancount/pylock.toml", 113),
    ("pylock/Evernight__lazy-beancount/requirements.txt", 25),
    ("pylock/Evernight__lazy-beancount/requirements-extra.txt", 1),
    ("pylock/Five-Colleges-Incorporated__ldlite/pylock.minimal.toml", 17),
    ("pylock/Five-Colleges-Incorporated__ldlite/pylock.toml", 16),
    # pipenv's pylock puts every default package in the unmarked "default" group.
    ("pylock/pypa__pipenv/pylock.toml", 1),
    ("pylock/pypa__pipenv/Pipfile.lock", 10),
    # uv.lock: the same counts as `uv export --frozen` evaluated for Linux / 3.11.
    ("uv-lock/pallets__flask/uv.lock", 46),
    ("uv-lock/PrefectHQ__fastmcp/uv.lock", 159),
    # poetry.lock: `poetry export --with <non-optional groups>`, plus the root project.
    ("poetry-lock/Davidy22__SkunkBooth/poetry.lock", 39),
    ("poetry-lock/python-poetry__poetry/poetry.lock", 73),
    ("poetry-lock/sdispater__pendulum/poetry.lock", 56),
    ("pipfile-lock/ONSdigital__eq-survey-runner/Pipfile.lock", 81),
    ("pipfile-lock/bridgecrewio__checkov/Pipfile.lock", 95),
    ("pipfile-lock/psf__requests-html/Pipfile.lock", 22),
    # pixi.lock: PyPI packages here, conda packages in test_pixi_conda_counts.
    ("pixi-lock/2986002971__ACT/pixi.lock", 1),
    ("pixi-lock/43ravens__NEMO_Nowcast/pixi.lock", 1),
    ("pixi-lock/prefix-dev__pixi/examples/pypi-source-deps/pixi.lock", 22),
]


def bound_of(relpath: str, selection: Selection | None = None, target: Target | None = None) -> Bound:
    path = data_file(REAL_LOCKS.name, *relpath.split("/"))
    return read_named(reader_for(path), path, selection, target, display=relpath)


def select(relpath: str, selection: Selection | None = None) -> int:
    return len(bound_of(relpath, selection).expectations)


@pytest.mark.parametrize(("relpath", "count"), CASES, ids=[c[0] for c in CASES])
def test_selected_count(relpath: str, count: int) -> None:
    assert select(relpath) == count


def test_pipenv_pylock_dev_group() -> None:
    assert select("pylock/pypa__pipenv/pylock.toml", Selection(groups=("dev",))) > 50


def test_pylock_for_other_environments_is_refused() -> None:
    with pytest.raises(BoundError) as exc:
        select("pylock/Five-Colleges-Incorporated__ldlite/pylock.maximal.toml")
    assert str(exc.value).endswith(
        "Provided environment does not satisfy any of the environments specified in the lock file"
    )


@pytest.mark.parametrize(
    ("relpath", "count"),
    [
        ("pixi-lock/2986002971__ACT/pixi.lock", 344),
        ("pixi-lock/43ravens__NEMO_Nowcast/pixi.lock", 53),
        ("pixi-lock/prefix-dev__pixi/examples/pypi-source-deps/pixi.lock", 24),
    ],
)
def test_pixi_conda_counts(relpath: str, count: int) -> None:
    assert len(bound_of(relpath).conda) == count


def test_pixi_other_environment() -> None:
    default = bound_of("pixi-lock/43ravens__NEMO_Nowcast/pixi.lock")
    test_env = bound_of("pixi-lock/43ravens__NEMO_Nowcast/pixi.lock", Selection(environment="test"))
    assert len(test_env.conda) > len(default.conda)
    with pytest.raises(BoundError, match="no environment 'nope'"):
        bound_of("pixi-lock/43ravens__NEMO_Nowcast/pixi.lock", Selection(environment="nope"))


def test_uv_workspace_with_a_virtual_root_on_314() -> None:
    """The fastapi template needs Python 3.14; uv export counts 78 there."""
    t = linux_311()
    t314 = replace(t, markers={**t.markers, "python_version": "3.14", "python_full_version": "3.14.0"})
    assert (
        len(bound_of("uv-lock/fastapi__full-stack-fastapi-template/uv.lock", target=t314).expectations) == 78
    )
    with pytest.raises(BoundError, match=r"requires Python >=3\.14"):
        bound_of("uv-lock/fastapi__full-stack-fastapi-template/uv.lock")


def test_uv_groups_and_extras() -> None:
    flask = "uv-lock/pallets__flask/uv.lock"
    without_dev = select(flask, Selection(no_default_groups=True))
    assert without_dev < 46
    assert select(flask, Selection(no_default_groups=True, extras=("async",))) == without_dev + 1
    assert select(flask, Selection(only_groups=("docs",))) > 10
    with pytest.raises(BoundError, match="no extra 'nope'"):
        select(flask, Selection(extras=("nope",)))


def test_poetry_groups() -> None:
    poetry = "poetry-lock/python-poetry__poetry/poetry.lock"
    assert select(poetry, Selection(no_default_groups=True)) < 73
    with pytest.raises(BoundError, match="no dependency group 'nope'"):
        select(poetry, Selection(groups=("nope",)))


def test_pipfile_develop() -> None:
    assert select("pipfile-lock/psf__requests-html/Pipfile.lock", Selection(groups=("dev",))) > 22


def test_uv_all_packages() -> None:
    """fastmcp's members are all reached from its root: `uv export --all-packages` counts 159 too."""
    assert select("uv-lock/PrefectHQ__fastmcp/uv.lock", Selection(all_packages=True)) == 159


def test_uv_all_packages_adds_members_the_project_does_not_need(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    shutil.copy(data_file("uv-lock", "uv.workspace-member-not-needed.lock"), lock)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0.1"\n')
    names = {e.name for e in read_bound(UvLockReader(), lock).expectations}
    assert names == {"app", "a"}
    every = {e.name for e in read_bound(UvLockReader(), lock, Selection(all_packages=True)).expectations}
    assert every == {"app", "a", "tool", "b"}


def test_every_file_is_read_and_described() -> None:
    """The folder holds only what these tests read (each lock named in this module, the
    pyproject.toml beside a uv.lock or poetry.lock), and its README describes each project."""
    here = Path(__file__).read_text(encoding="utf-8")
    readme = (REAL_LOCKS / "README.md").read_text(encoding="utf-8")
    projects = set()
    for path in REAL_LOCKS.rglob("*"):
        relpath = path.relative_to(REAL_LOCKS).as_posix()
        if path.is_dir() or relpath == "README.md" or "/." in f"/{relpath}":  # a tool's cache
            continue
        projects.add("/".join(relpath.split("/")[:2]))
        if path.name == "pyproject.toml":
            assert {"uv.lock", "poetry.lock"} & {p.name for p in path.parent.iterdir()}, relpath
        else:
            assert f'"{relpath}"' in here, f"{relpath} is read by no test"
    assert len(projects) == 21
    for project in projects:
        assert f"| `{project}` |" in readme, f"{project} has no row in {REAL_LOCKS.name}/README.md"
