"""Every real lock and requirements file in tests/data/shared-locks (public projects' files,
provenance in its README.md) parses, and what it selects with the tool's defaults is pinned.

Each reader is held to the exact set of packages the file's own tool selects (uv for pylock
files, pip's parser for requirements files) for Linux x86_64 / CPython 3.10 and 3.12, with the
tool's defaults and with some other selections, stored beside each file as
``<file>.expected-<target>[--<options>].txt`` by ``scripts/expected_selections.py`` (each one
says how it was produced, and gives the marker environment the target here is built from)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from packaging.version import Version

from tests.helpers import REAL_LOCKS, data_file, linux_311, read_bound, read_named
from tether.errors import BoundError
from tether.models import Bound, Expectation
from tether.sources import Selection, reader_for
from tether.sources.uv_lock import UvLockReader
from tether.target import Target


def bound_of(relpath: str, selection: Selection | None = None, target: Target | None = None) -> Bound:
    path = data_file(REAL_LOCKS.name, *relpath.split("/"))
    return read_named(reader_for(path), path, selection, target, display=relpath)


def select(relpath: str, selection: Selection | None = None) -> int:
    return len(bound_of(relpath, selection).expectations)


#: Each lock held to its tool's selection (uv, poetry, pipenv, pixi; pylock files as uv
#: installs them), with the targets its expected files are for.
USUAL = ("linux-cp310", "linux-cp312")
SELECTIONS = {
    "uv-lock/pallets__flask/uv.lock": USUAL,
    "uv-lock/PrefectHQ__fastmcp/uv.lock": USUAL,
    # requires-python >=3.14 (test_uv_workspace_with_a_virtual_root_on_314 has the refusal).
    "uv-lock/fastapi__full-stack-fastapi-template/uv.lock": ("linux-cp314",),
    "poetry-lock/Davidy22__SkunkBooth/poetry.lock": USUAL,
    "poetry-lock/python-poetry__poetry/poetry.lock": USUAL,
    "poetry-lock/sdispater__pendulum/poetry.lock": USUAL,
    "pipfile-lock/ONSdigital__eq-survey-runner/Pipfile.lock": USUAL,
    "pipfile-lock/bridgecrewio__checkov/Pipfile.lock": USUAL,
    "pipfile-lock/psf__requests-html/Pipfile.lock": USUAL,
    "pylock/pypa__pipenv/Pipfile.lock": USUAL,
    "pixi-lock/2986002971__ACT/pixi.lock": USUAL,
    "pixi-lock/43ravens__NEMO_Nowcast/pixi.lock": USUAL,
    "pixi-lock/prefix-dev__pixi/examples/pypi-source-deps/pixi.lock": USUAL,
    # Written by `pip lock` on macOS arm64 (see its expected file): uv installs it nowhere else.
    "pylock/Evernight__lazy-beancount/pylock.toml": ("linux-cp312",),
    "pylock/Five-Colleges-Incorporated__ldlite/pylock.toml": USUAL,
    "pylock/Five-Colleges-Incorporated__ldlite/pylock.minimal.toml": USUAL,
    # environments: python_version >= "3.13" (test_pylock_for_other_environments_is_refused).
    "pylock/Five-Colleges-Incorporated__ldlite/pylock.maximal.toml": ("linux-cp314",),
    # pipenv's pylock puts every default package in the unmarked "default" group.
    "pylock/pypa__pipenv/pylock.toml": USUAL,
    # Requirements files: what pip's parser reads in them, each line's marker evaluated.
    "pip-compile/freedomofpress__securedrop/admin/requirements.txt": USUAL,
    "pip-compile/mozilla__treeherder/requirements/common.txt": USUAL,
    "pip-compile/sigstore__sigstore-python/install/requirements.txt": USUAL,
    "uv-pip-compile/microsoft__vscode-black-formatter/requirements.txt": USUAL,
    "uv-pip-compile/mozilla__pontoon/requirements/prod.txt": USUAL,
    "uv-pip-compile/nedbat__coveragepy/requirements/dev.pip": USUAL,
    "uv-pip-compile/nedbat__coveragepy/requirements/pins.pip": USUAL,
    "pylock/Evernight__lazy-beancount/requirements.txt": USUAL,
    "pylock/Evernight__lazy-beancount/requirements-extra.txt": USUAL,
}
DEFAULT = Selection()
#: Selections other than the tool's defaults, on CPython 3.12: the tool's options (which
#: name the expected file) and tether's selection for them.
VARIANTS = [
    ("uv-lock/pallets__flask/uv.lock", ("--no-default-groups",), Selection(no_default_groups=True)),
    ("uv-lock/pallets__flask/uv.lock", ("--no-default-groups", "--extra", "async"),
     Selection(no_default_groups=True, extras=("async",))),
    ("uv-lock/pallets__flask/uv.lock", ("--only-group", "docs"), Selection(only_groups=("docs",))),
    ("uv-lock/PrefectHQ__fastmcp/uv.lock", ("--all-packages",), Selection(all_packages=True)),
    ("poetry-lock/python-poetry__poetry/poetry.lock", ("--only", "main"), Selection(no_default_groups=True)),
    ("pipfile-lock/psf__requests-html/Pipfile.lock", ("--dev",), Selection(groups=("dev",))),
    ("pixi-lock/43ravens__NEMO_Nowcast/pixi.lock", ("--environment", "test"), Selection(environment="test")),
    ("pylock/pypa__pipenv/pylock.toml", ("--group", "dev"), Selection(groups=("dev",))),
]  # fmt: skip
EXPECTED: list[tuple[str, str, tuple[str, ...], Selection]] = [
    *((lock, target, (), DEFAULT) for lock, targets in SELECTIONS.items() for target in targets),
    *((lock, "linux-cp312", flags, selection) for lock, flags, selection in VARIANTS),
]
_ENVIRONMENT = "# environment: "


def expected_file(relpath: str, target: str, flags: tuple[str, ...] = ()) -> Path:
    """As scripts/expected_selections.py names it: ``<lock>.expected-<target>.txt``, or
    ``...-<target>--<options>.txt`` for a selection other than the default."""
    lock = REAL_LOCKS / relpath
    variant = "-".join(f.lstrip("-") for f in flags)
    return lock.with_name(f"{lock.name}.expected-{target}" + (f"--{variant}" if variant else "") + ".txt")


def read_expected(path: Path) -> tuple[Target, list[str]]:
    """The target an expected file states (its marker environment, no interpreter needed)
    and the packages it lists (a list: one listed twice is expected twice)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    (env_line,) = [line for line in lines if line.startswith(_ENVIRONMENT)]
    markers: dict[str, str] = json.loads(env_line.removeprefix(_ENVIRONMENT))
    major, minor, micro = (int(n) for n in markers["python_full_version"].split("."))
    target = Target(
        executable=f"/nonexistent/bin/python{major}.{minor}",
        prefix="/nonexistent",
        venv=True,
        sites=("/nonexistent/site-packages",),
        user_site=None,
        purelib="/nonexistent/site-packages",
        markers=markers,
        version=(major, minor, micro),
        implementation=markers["implementation_name"],
        abiflags="",
        gil_disabled=False,
    )
    return target, sorted(line for line in lines if line and not line.startswith("#"))


def selected_line(exp: Expectation, base: Path) -> str:
    """An expectation as scripts/expected_selections.py writes a tool's selection:
    ``name==version``, ``name @ path (editable)``, ``name @ git+url@commit``, ``name @ url``,
    ``name<range>`` or ``name``."""
    source = exp.source
    if source is not None and source.kind == "directory":
        where = os.path.relpath(source.url, base)
        return f"{exp.name} @ {where}" + (" (editable)" if source.editable else "")
    if source is not None and source.kind == "vcs":
        return f"{exp.name} @ git+{source.url}@{source.commit or source.revision}"
    if source is not None and source.kind == "url":
        return f"{exp.name} @ {source.url}"
    specs = list(exp.specifier)
    if len(specs) == 1 and specs[0].operator == "==":
        return f"{exp.name}=={Version(specs[0].version)}"
    return f"{exp.name}{exp.specifier}"  # a range, in a requirements file; or no version at all


@pytest.mark.parametrize(
    ("relpath", "target", "flags", "selection"),
    EXPECTED,
    ids=[expected_file(lock, t, f).relative_to(REAL_LOCKS).as_posix() for lock, t, f, _ in EXPECTED],
)
def test_selection_is_the_tools(
    relpath: str, target: str, flags: tuple[str, ...], selection: Selection
) -> None:
    """The reader selects exactly the packages the lock's own tool installs on the target,
    no more and no fewer, at the same versions (and sources, for local and git ones)."""
    on, expected = read_expected(expected_file(relpath, target, flags))
    bound = bound_of(relpath, selection, target=on)
    base = Path(os.path.realpath(REAL_LOCKS / relpath)).parent
    selected = [selected_line(e, base) for e in bound.expectations]
    selected += [f"conda {selected_line(e, base)}" for e in bound.conda]
    too_many = Counter(selected) - Counter(expected)
    too_few = Counter(expected) - Counter(selected)
    assert {"too many": sorted(too_many.elements()), "too few": sorted(too_few.elements())} == {
        "too many": [],
        "too few": [],
    }


def test_every_expected_file_is_checked() -> None:
    """Each expected file on disk is one the test above reads, and each one it reads says
    how it was produced."""
    on_disk = {p.relative_to(REAL_LOCKS).as_posix() for p in REAL_LOCKS.rglob("*.expected-*.txt")}
    read = {expected_file(lock, t, f).relative_to(REAL_LOCKS).as_posix() for lock, t, f, _ in EXPECTED}
    assert on_disk == read
    for relpath in sorted(read):
        header = (REAL_LOCKS / relpath).read_text(encoding="utf-8")
        assert "# Produced on " in header, relpath
        assert "# Regenerate: .venv-test/bin/python scripts/expected_selections.py" in header, relpath


@pytest.mark.flows
def test_expected_files_are_the_tools_exports() -> None:
    """The stored selections are still what uv, poetry (with poetry-plugin-export, in the
    test group) and pipenv export, run offline."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "expected_selections.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr


def test_pylock_for_other_environments_is_refused() -> None:
    with pytest.raises(BoundError) as exc:
        select("pylock/Five-Colleges-Incorporated__ldlite/pylock.maximal.toml")
    assert str(exc.value).endswith(
        "Provided environment does not satisfy any of the environments specified in the lock file"
    )


def test_pixi_unknown_environment() -> None:
    """The test environment's selection is in VARIANTS; one the lock lacks is refused."""
    with pytest.raises(BoundError, match="no environment 'nope'"):
        bound_of("pixi-lock/43ravens__NEMO_Nowcast/pixi.lock", Selection(environment="nope"))


def test_uv_workspace_with_a_virtual_root_needs_314() -> None:
    """The fastapi template needs Python 3.14 (its selection there is in EXPECTED)."""
    fastapi = "uv-lock/fastapi__full-stack-fastapi-template/uv.lock"
    for minor in (10, 11, 12):
        t = linux_311()
        older = replace(
            t, markers={**t.markers, "python_version": f"3.{minor}", "python_full_version": f"3.{minor}.1"}
        )
        with pytest.raises(BoundError, match=r"requires Python >=3\.14"):
            bound_of(fastapi, target=older)


def test_unknown_groups_and_extras_are_refused() -> None:
    """What the groups and extras select is in VARIANTS; a name the project lacks is refused."""
    with pytest.raises(BoundError, match="no extra 'nope'"):
        select("uv-lock/pallets__flask/uv.lock", Selection(extras=("nope",)))
    with pytest.raises(BoundError, match="no dependency group 'nope'"):
        select("poetry-lock/python-poetry__poetry/poetry.lock", Selection(groups=("nope",)))


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
        if ".expected-" in path.name:  # test_every_expected_file_is_checked
            continue
        projects.add("/".join(relpath.split("/")[:2]))
        if path.name == "pyproject.toml":
            assert {"uv.lock", "poetry.lock"} & {p.name for p in path.parent.iterdir()}, relpath
        else:
            assert f'"{relpath}"' in here, f"{relpath} is read by no test"
    assert len(projects) == 21
    for project in projects:
        assert f"| `{project}` |" in readme, f"{project} has no row in {REAL_LOCKS.name}/README.md"
