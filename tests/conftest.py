"""Shared fixtures: real virtual environments, real ``.dist-info`` folders, real tools."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Protocol

import pytest

from tether import _query
from tether.sources.interface import BoundReader, Selection
from tether.target import Target

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from tether.models import Bound

DATA = Path(__file__).parent / "data"
# Public projects' real lock files, copied here with their provenance (see its README.md).
REAL_LOCKS = DATA / "shared-locks"
BIN = Path(sys.executable).parent


def data_file(*parts: str) -> Path:
    """A file under tests/data, which must exist."""
    path = DATA.joinpath(*parts)
    assert path.exists(), path
    return path


def in_ci() -> bool:
    """Whether ``CI`` is set (to anything but empty, ``0`` or ``false``), as CI services do."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false"}


def missing(what: str) -> NoReturn:
    """Something a test needs is not on this machine: a failure in CI, else a skip saying so."""
    if in_ci():
        pytest.fail(f"{what} (required when CI is set)", pytrace=False)
    pytest.skip(f"{what} (a failure when CI is set)")


def tool(name: str) -> str:
    """A command-line tool installed beside the test interpreter (uv, pip-compile, ...)."""
    for candidate in (BIN / name, shutil.which(name)):
        if candidate and Path(candidate).exists():
            return str(candidate)
    missing(f"{name} is not installed beside {sys.executable} nor on PATH; ./scripts/test installs it")


def pyenv_python(minor: str) -> str:
    """A pyenv-installed CPython of that minor version: a failure in CI if absent, else a skip."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for version in sorted(root.glob(f"{minor}.*"), reverse=True):
        exe = version / "bin" / f"python{minor}"
        if exe.exists():
            return str(exe)
    missing(f"no Python {minor} under {root}; `pyenv install {minor}` adds one")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child process, without our own venv leaking into it."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env.update(extra)
    return env


def run(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a command, returning its completed process; fail the test on error if *check*."""
    proc = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=dict(env or clean_env()),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if check and proc.returncode != 0:
        pytest.fail(f"{args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def tether(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the tether CLI as a user would, in a child process."""
    return run(sys.executable, "-m", "tether", *args, cwd=cwd, env=env, check=False)


def site_packages(venv: Path) -> Path:
    """The purelib of a POSIX venv."""
    (found,) = venv.glob("lib/python3*/site-packages")
    return found


class MakeVenv(Protocol):
    def __call__(self, name: str = ..., *, python: str | None = ..., seed: bool = ...) -> Path: ...


@pytest.fixture
def make_venv(tmp_path: Path) -> MakeVenv:
    """Create a real virtual environment with uv (``seed`` adds pip via ``python -m venv``)."""

    def make(name: str = ".venv", *, python: str | None = None, seed: bool = False) -> Path:
        path = tmp_path / name
        if seed:
            run(python or sys.executable, "-m", "venv", path)
        else:
            run(tool("uv"), "venv", "-q", "--python", python or sys.executable, path)
        return path

    return make


class MakeDist(Protocol):
    def __call__(
        self,
        site: Path,
        name: str,
        version: str | None = ...,
        *,
        requires: Iterable[str] = ...,
        direct_url: dict[str, object] | None = ...,
        folder: str | None = ...,
    ) -> Path: ...


@pytest.fixture
def make_dist() -> MakeDist:
    """Write a real ``.dist-info`` folder as an installer would."""

    def make(
        site: Path,
        name: str,
        version: str | None = "1.0",
        *,
        requires: Iterable[str] = (),
        direct_url: dict[str, object] | None = None,
        folder: str | None = None,
    ) -> Path:
        dist = site / (folder or f"{name.replace('-', '_')}-{version}.dist-info")
        dist.mkdir(parents=True)
        lines = ["Metadata-Version: 2.1", f"Name: {name}"]
        if version is not None:
            lines.append(f"Version: {version}")
        lines += [f"Requires-Dist: {r}" for r in requires]
        (dist / "METADATA").write_text("\n".join(lines) + "\n\nA long description.\n")
        (dist / "INSTALLER").write_text("pip\n")
        if direct_url is not None:
            (dist / "direct_url.json").write_text(json.dumps(direct_url))
        return dist

    return make


@pytest.fixture(scope="session")
def here() -> Target:
    """The interpreter running the tests, as a target (Linux, CPython 3.11 in CI)."""
    return Target.from_query(_query.query())


def read_bound(reader: BoundReader, path: Path, selection: Selection | None = None,
               target: Target | None = None, display: str | None = None) -> Bound:  # fmt: skip
    """Read *path* with *reader* for Linux / CPython 3.11 (the real locks' target)."""
    return reader.read(path.read_text(encoding="utf-8"), path=path, display=display or str(path),
                       target=target or linux_311(), selection=selection or Selection())  # fmt: skip


def linux_311() -> Target:
    """A Linux x86_64 CPython 3.11 target, as the real lock files' counts assume."""
    data = _query.query()
    data["markers"] = {
        **data["markers"],
        "python_version": "3.11",
        "python_full_version": "3.11.7",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }
    data["version"] = [3, 11, 7]
    data["implementation"] = "cpython"
    return Target.from_query(data)


# Results cached by `tether validate` go to a per-session folder, never the user's home.
os.environ.setdefault("TETHER_CACHE_DIR", str(Path(tempfile.mkdtemp(prefix="tether-cache-"))))


class MakeDistVenv(Protocol):
    def __call__(self, dists: dict[str, str], name: str = ...) -> Path: ...


@pytest.fixture
def dist_venv(tmp_path: Path, make_dist: MakeDist) -> MakeDistVenv:
    """A real venv (``python -m venv --without-pip``) holding hand-written distributions."""

    def make(dists: dict[str, str], name: str = "venv") -> Path:
        venv = tmp_path / name
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
        site = site_packages(venv)
        for dist, version in dists.items():
            make_dist(site, dist, version)
        return venv

    return make
