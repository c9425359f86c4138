"""The start-up check in real environments synced by the real tools, on every Python
from 3.8 to 3.13 that is installed, with tether itself running from another venv."""

from __future__ import annotations

import concurrent.futures
import json
import os
import sys
from pathlib import Path

import pytest

from tests.helpers import clean_env, drift, pyenv_python, run, site_packages, tether, tool
from tests.helpers import start as start_with

pytestmark = pytest.mark.flows

DRIFTED = ("certifi", "idna", "six")


def synced(tmp_path: Path, python: str, fmt: str, pins: str = "requests==2.32.3\npip\n") -> tuple[Path, Path]:
    """A venv synced from a lock of *fmt* (``requirements.txt`` or ``pylock.toml``)."""
    lock = tmp_path / fmt
    repin(tmp_path, python, lock, pins)
    venv = tmp_path / ".venv"
    if not venv.exists():
        run(tool("uv"), "venv", "-q", "--python", python, venv)
    py = venv / "bin" / "python"
    run(tool("uv"), "pip", "sync", "-q", "--python", py, lock.name, cwd=tmp_path)
    return py, lock


def repin(tmp_path: Path, python: str, lock: Path, pins: str) -> None:
    """A colleague's new pins arrive with a git pull: the lock is compiled again."""
    (tmp_path / "requirements.in").write_text(pins)
    run(
        tool("uv"),
        "pip",
        "compile",
        "-q",
        "--python",
        python,
        "requirements.in",
        "-o",
        lock.name,
        cwd=tmp_path,
    )


#: How the starts of a cycle treat byte code: as a user's shell does (written), or as
#: many CI machines and containers do (PYTHONDONTWRITEBYTECODE=1).
BYTECODE = {"written": {}, "not written": {"PYTHONDONTWRITEBYTECODE": "1"}}
_start_env: dict[str, str] = {}


def start(py: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """A start, byte code written or not as the running cycle asks (:data:`BYTECODE`)."""
    return start_with(py, *args, **{**_start_env, **env})


def listing(site: Path) -> list[str]:
    """site-packages as tether must leave it, less what Python itself writes at a start:
    uv seeds venvs with `_virtualenv.pth`, which imports `_virtualenv.py`, and Python
    caches that module's byte code in `__pycache__` unless PYTHONDONTWRITEBYTECODE is set.
    That folder must hold nothing else (tether writes only inside `_tether_hook/`)."""
    names = sorted(os.listdir(site))
    if "__pycache__" in names:
        cached = os.listdir(site / "__pycache__")
        assert all(name.startswith("_virtualenv.") for name in cached), cached
        names.remove("__pycache__")
    return names


def assert_names_drift(stderr: str) -> None:
    assert "Traceback" not in stderr
    for name in DRIFTED:
        assert name in stderr


def full_cycle(tmp_path: Path, python: str, fmt: str, bytecode: str = "written") -> None:
    _start_env.update(BYTECODE[bytecode])
    try:
        _cycle(tmp_path, python, fmt)
    finally:
        _start_env.clear()


def _cycle(tmp_path: Path, python: str, fmt: str) -> None:
    py, lock = synced(tmp_path, python, fmt)
    site = site_packages(py.parent.parent)
    before = listing(site)

    proc = tether("site-install", "-p", py, "--lock", lock)
    assert proc.returncode == 0, proc.stderr
    assert start(py) == (0, "ok\n", "")

    drift(py)
    code, out, err = start(py)
    assert (code, out) == (0, "ok\n")
    assert_names_drift(err)
    assert "fix: uv pip sync" in err
    # The hook's own comparison (stdlib only) names what `tether validate` names.
    report = json.loads(tether("validate", "-p", py, "--lock", lock, "--format", "json").stdout)
    named = {line.split()[0] for line in err.splitlines()[1:] if not line.startswith(("  fix:", "  skip"))}
    assert named == {r["name"] for r in report["records"]}

    assert tether("site-install", "-p", py, "--lock", lock, "--on-drift", "exit", "--force").returncode == 0
    code, out, err = start(py)
    assert code == 1 and out == ""
    assert_names_drift(err)
    # The repair tools still run, and so does one run with the escape hatch.
    code, out, err = start(py, "-m", "pip", "--version")
    assert code == 0 and out.startswith("pip "), err
    assert start(py, TETHER_SKIP="1") == (0, "ok\n", "")

    run(tool("uv"), "pip", "sync", "-q", "--python", py, lock.name, cwd=tmp_path)
    assert start(py) == (0, "ok\n", "")

    assert tether("site-uninstall", "-p", py).returncode == 0
    assert listing(site) == before


@pytest.mark.parametrize("bytecode", list(BYTECODE))
@pytest.mark.parametrize("fmt", ["requirements.txt", "pylock.toml"])
def test_cycle_on_311(tmp_path: Path, fmt: str, bytecode: str) -> None:
    full_cycle(tmp_path, pyenv_python("3.11"), fmt, bytecode)


@pytest.mark.parametrize(
    ("minor", "bytecode"),
    [
        ("3.8", "written"),
        ("3.8", "not written"),
        ("3.9", "written"),
        ("3.12", "written"),
        ("3.13", "not written"),
    ],
)
def test_cycle_on_other_pythons(tmp_path: Path, minor: str, bytecode: str) -> None:
    full_cycle(tmp_path, pyenv_python(minor), "pylock.toml", bytecode)


def test_lock_change_and_deleted_lock(tmp_path: Path) -> None:
    python = pyenv_python("3.11")
    py, lock = synced(tmp_path, python, "pylock.toml")
    assert tether("site-install", "-p", py, "--lock", lock).returncode == 0
    assert start(py) == (0, "ok\n", "")
    # A colleague's new pin arrives with a git pull.
    synced_lock = lock.read_text()
    repin(tmp_path, python, lock, "requests==2.32.3\npip\nidna==3.6\n")
    assert lock.read_text() != synced_lock
    code, out, err = start(py)
    assert (code, out) == (0, "ok\n")
    assert "idna" in err and "3.6" in err and "Traceback" not in err
    named = [
        line.split()[0]
        for line in err.splitlines()
        if line.startswith("  ") and not line.startswith(("  fix:", "  skip"))
    ]
    assert named == ["idna"]
    # The next start uses the re-derived expectation without asking tether again.
    assert start(py)[2] == err

    lock.unlink()
    code, out, err = start(py)
    assert (code, out) == (0, "ok\n")
    assert len(err.splitlines()) == 1 and "is gone" in err


def test_concurrent_starts_after_lock_change(tmp_path: Path) -> None:
    python = pyenv_python("3.11")
    py, lock = synced(tmp_path, python, "pylock.toml")
    assert tether("site-install", "-p", py, "--lock", lock).returncode == 0
    repin(tmp_path, python, lock, "requests==2.32.3\npip\nidna==3.6\n")
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        results = list(pool.map(lambda _: start(py), range(32)))
    for code, out, err in results:
        assert (code, out) == (0, "ok\n"), err
        assert "Traceback" not in err and "cannot read" not in err
        assert "idna" in err
    # The state on disk is whole and current.
    assert start(py, "-c", "import _tether_hook.startup as h; print(h.load()['lines'][0][0])")[1] == "idna\n"


def test_tether_outside_the_target_env_is_not_needed_at_start(tmp_path: Path) -> None:
    """The hook runs on the target's own Python; tether is not importable there."""
    py, lock = synced(tmp_path, pyenv_python("3.11"), "requirements.txt")
    assert tether("site-install", "-p", py, "--lock", lock).returncode == 0
    assert start(py, "-c", "import importlib.util as u; print(u.find_spec('tether'))") == (0, "None\n", "")
    assert sys.executable != str(py)


def test_uv_lock_project(tmp_path: Path) -> None:
    """The hook with a native lock: uv sync repairs the env while exit mode is on."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\nrequires-python = ">=3.9"\ndependencies = ["requests==2.32.3"]\n'
        '[dependency-groups]\ndev = ["iniconfig"]\n'
    )
    run(tool("uv"), "lock", "-q", cwd=tmp_path)
    run(tool("uv"), "sync", "--frozen", "-q", "--python", pyenv_python("3.12"), cwd=tmp_path)
    py, lock = tmp_path / ".venv" / "bin" / "python", tmp_path / "uv.lock"
    assert tether("site-install", "-p", py, "--lock", lock, "--on-drift", "exit", "--force").returncode == 0
    assert start(py) == (0, "ok\n", "")
    drift(py)
    code, out, err = start(py)
    assert code == 1 and out == ""
    assert_names_drift(err)
    assert "fix: uv sync" in err
    run(tool("uv"), "sync", "--frozen", "-q", cwd=tmp_path)
    assert start(py) == (0, "ok\n", "")
    # Asking for no dev group is a change of the bound's companion: the hook re-derives.
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "[tool.uv]\ndefault-groups = []\n")
    code, out, err = start(py)
    assert code == 1 and "iniconfig" in err and "not in the lock" in err


def test_tether_gone_when_the_lock_changes(tmp_path: Path) -> None:
    """Installed from a tether that is later removed: one line, the old expectation kept."""
    python = pyenv_python("3.11")
    py, lock = synced(tmp_path, python, "pylock.toml")
    own = tmp_path / "tether-venv"
    run(tool("uv"), "venv", "-q", "--python", sys.executable, own)
    run(tool("uv"), "pip", "install", "-q", "--python", own / "bin" / "python", Path(__file__).parents[2])
    assert run(own / "bin" / "tether", "site-install", "-p", py, "--lock", lock).returncode == 0
    assert start(py) == (0, "ok\n", "")
    import shutil

    shutil.rmtree(own)
    repin(tmp_path, python, lock, "requests==2.32.3\npip\nidna==3.6\n")
    code, out, err = start(py)
    assert (code, out) == (0, "ok\n")
    assert len(err.splitlines()) == 1 and "is gone" in err and "Traceback" not in err


def test_what_an_installer_starts_is_exempt_but_not_what_it_runs(tmp_path: Path) -> None:
    """pip-sync queries the target (`python -c 'import pip...'`) before repairing it: in exit
    mode that start must not be refused. A program that an installer merely runs
    (`uv run`) is checked like any other start."""
    py, lock = synced(tmp_path, pyenv_python("3.11"), "requirements.txt")
    assert tether("site-install", "-p", py, "--lock", lock, "--on-drift", "exit").returncode == 0
    drift(py)
    assert start(py)[0] == 1
    code, out, err = start_via(
        tool("uv"), "run", "--no-project", "--python", py, "python", "-c", "print('ok')", cwd=tmp_path
    )
    assert code == 1 and out == "" and "has drifted" in err
    proc = run(tool("pip-sync"), "--python-executable", py, lock, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr
    assert start(py) == (0, "ok\n", "")


def start_via(*args: str | Path, cwd: Path) -> tuple[int, str, str]:
    proc = run(*args, cwd=cwd, check=False, env=clean_env())
    return proc.returncode, proc.stdout, proc.stderr
