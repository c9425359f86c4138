"""What the tests share, imported by name (``from tests.helpers import run, tool``):
finding tools and pyenv Pythons, running tether and other commands as users do, the
targets the real locks assume, and the seed drift. Fixtures live in ``conftest.py``
files, which no test imports (``tests/test_suite_helpers.py`` holds that rule)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Protocol

import pytest

from tether import _query
from tether.cli import main
from tether.sources._common import in_file
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


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run the tether CLI in-process (``tether.cli.main``): its exit code, stdout and stderr."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def start(py: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """Start *py* as a user's shell would (``-c "print('ok')"`` unless *args* say otherwise),
    *env* added to the environment: its exit code, stdout and stderr."""
    proc = run(py, *(args or ("-c", "print('ok')")), check=False, env=clean_env(**env))
    return proc.returncode, proc.stdout, proc.stderr


def site_packages(venv: Path) -> Path:
    """The purelib of a POSIX venv."""
    (found,) = venv.glob("lib/python3*/site-packages")
    return found


#: The seed drift as ``tether validate --format json`` names it: a colleague's pin bump
#: (idna), a stray install (six), a lost package (certifi); :func:`drift` makes it.
DRIFT = {("certifi", "missing"), ("idna", "mismatch"), ("six", "unexpected")}


def drift(python: Path, lost: str = "certifi") -> None:
    """The seed scenario, with uv: idna moved to 3.6, six installed unasked, *lost* removed."""
    run(tool("uv"), "pip", "install", "-q", "--python", python, "idna==3.6", "six")
    run(tool("uv"), "pip", "uninstall", "-q", "--python", python, lost)


def index_url(tmp_path: Path) -> str:
    """The simple index in use here, as uv reports it (never written into the repository)."""
    (tmp_path / "probe.in").write_text("six\n")
    out = run(tool("uv"), "pip", "compile", "-q", "--emit-index-url", tmp_path / "probe.in").stdout
    return next(line.split()[1] for line in out.splitlines() if line.startswith("--index-url"))


def python_project(root: Path, pyproject: str, package: str | None = None) -> Path:
    """A project folder for uv or poetry: *pyproject* as its pyproject.toml and, when its
    build backend needs one, an empty ``src/<package>`` to build. Returns *root*."""
    if package is not None:
        (root / "src" / package).mkdir(parents=True)
        (root / "src" / package / "__init__.py").write_text("")
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(pyproject)
    return root


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


def read_bound(reader: BoundReader, path: Path, selection: Selection | None = None,
               target: Target | None = None, display: str | None = None) -> Bound:  # fmt: skip
    """Read *path* with *reader* for Linux / CPython 3.11 (the real locks' target)."""
    return reader.read(path.read_text(encoding="utf-8"), path=path, display=display or str(path),
                       target=target or linux_311(), selection=selection or Selection())  # fmt: skip


def read_named(reader: BoundReader, path: Path, selection: Selection | None = None,
               target: Target | None = None, display: str | None = None) -> Bound:  # fmt: skip
    """:func:`read_bound`, with what is wrong in the file named as *display*."""
    with in_file(display or str(path)):
        return read_bound(reader, path, selection, target, display)


# The types of the fixtures that return a function (conftest.py files define them).


class MakeVenv(Protocol):
    def __call__(self, name: str = ..., *, python: str | None = ..., seed: bool = ...) -> Path: ...


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


class MakeDistVenv(Protocol):
    def __call__(self, dists: dict[str, str], name: str = ...) -> Path: ...


class ReadError(Protocol):
    def __call__(self, files: Mapping[str, tuple[str, ...]], selection: Selection = ...) -> str: ...
