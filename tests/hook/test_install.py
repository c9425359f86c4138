"""Install, uninstall and status of the start-up check, and its behaviour at start, in real
venvs with hand-written .dist-info folders (no network)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import MakeDist, clean_env, run, site_packages, start, tether
from tether.hook.install import PTH_NAME, START_NAME


def make(tmp_path: Path, make_dist: MakeDist, folder: str = "proj") -> tuple[Path, Path, Path]:
    root = tmp_path / folder
    root.mkdir()
    venv = root / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    site = site_packages(venv)
    make_dist(site, "six", "1.16.0")
    make_dist(site, "idna", "3.6")
    lock = root / "requirements.txt"
    lock.write_text("six==1.16.0\nidna==3.6\n")
    return venv / "bin" / "python", site, lock


def test_files_written_idempotent_and_removed(tmp_path: Path, make_dist: MakeDist) -> None:
    py, site, lock = make(tmp_path, make_dist)
    before = sorted(os.listdir(site))
    assert tether("site-install", "-p", py, "--lock", lock).returncode == 0
    once = sorted(os.listdir(site))
    assert set(once) - set(before) == {PTH_NAME, START_NAME, "_tether_hook"}
    pth = (site / PTH_NAME).read_text(encoding="utf-8").splitlines()
    assert len(pth) == 2 and pth[1].startswith("import sys") and pth[1].isascii()
    assert (site / START_NAME).read_text(encoding="utf-8").splitlines()[-1] == "_tether_hook.startup:run"
    assert tether("site-install", "-p", py, "--lock", lock).returncode == 0
    assert sorted(os.listdir(site)) == once
    assert start(py) == (0, "ok\n", "")
    status = tether("site-status", "-p", py)
    assert status.returncode == 0 and "last result: valid" in status.stdout and str(lock) in status.stdout
    assert tether("site-uninstall", "-p", py).returncode == 0
    assert sorted(os.listdir(site)) == before
    again = tether("site-uninstall", "-p", py)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert tether("site-status", "-p", py).returncode == 1


def test_foreign_files_are_never_overwritten(tmp_path: Path, make_dist: MakeDist) -> None:
    py, site, lock = make(tmp_path, make_dist)
    foreign = site / PTH_NAME
    foreign.write_text("import something_else\n")
    proc = tether("site-install", "-p", py, "--lock", lock)
    assert proc.returncode == 2
    assert (
        proc.stderr == f"tether: error: {foreign}: exists and was not written by tether; not overwriting it\n"
    )
    assert foreign.read_text() == "import something_else\n"
    assert not (site / "_tether_hook").exists()


def test_drift_is_seen_at_the_next_start(tmp_path: Path, make_dist: MakeDist) -> None:
    py, site, lock = make(tmp_path, make_dist)
    assert (
        tether("site-install", "-p", py, "--lock", lock, "--on-drift", "exit", "--exit-code", "7").returncode
        == 0
    )
    assert start(py) == (0, "ok\n", "")
    make_dist(site, "stray", "1.0")
    code, out, err = start(py)
    assert (code, out) == (7, "")
    assert "stray" in err and "1.0 installed, not in the lock" in err and "Traceback" not in err
    # One start of a drifted env prints one block, although CPython reads the .pth twice.
    assert err.count("has drifted") == 1
    # A reinstall from another source at the same version is drift too.
    import shutil

    shutil.rmtree(site / "stray-1.0.dist-info")
    assert start(py) == (0, "ok\n", "")
    shutil.rmtree(site / "six-1.16.0.dist-info")
    make_dist(
        site, "six", "1.16.0", direct_url={"url": "file:///elsewhere/six", "dir_info": {"editable": True}}
    )
    code, _, err = start(py)
    assert code == 7 and "six" in err and "installed from /elsewhere/six (editable), expected index" in err


@pytest.mark.parametrize(
    ("argv", "checked"),
    [
        pytest.param(("-c", "print('ok')"), True, id="python -c"),
        pytest.param(("pipeline.py",), True, id="a script named like pip"),
        pytest.param(("uvicorn.py",), True, id="a script named like uv"),
        pytest.param(("-m", "pip", "--version"), False, id="python -m pip"),
        pytest.param(("-I", "-c", "print('ok')"), False, id="an installer's isolated query"),
    ],
)
def test_repair_tools_are_exempt_by_exact_name(
    tmp_path: Path, make_dist: MakeDist, argv: tuple[str, ...], checked: bool
) -> None:
    py, site, lock = make(tmp_path, make_dist)
    make_dist(site, "pip", "24.0")
    (site / "pip").mkdir()
    (site / "pip" / "__main__.py").write_text("print('pip 24.0')\n")
    for name in ("pipeline.py", "uvicorn.py"):
        (tmp_path / name).write_text("print('ok')\n")
    assert tether("site-install", "-p", py, "--lock", lock, "--on-drift", "exit", "--force").returncode == 0
    make_dist(site, "stray", "1.0")
    proc = run(py, *argv, cwd=tmp_path, check=False, env=clean_env())
    assert (proc.returncode != 0) is checked, proc.stderr
    assert ("stray" in proc.stderr) is checked


def test_odd_characters_in_paths(tmp_path: Path, make_dist: MakeDist) -> None:
    py, site, _ = make(tmp_path, make_dist, folder='it\'s a "dir" ü')
    lock = py.parent.parent.parent / "lock's\nname ü.txt"
    lock.write_text("six==1.16.0\nidna==3.6\n")
    assert tether("site-install", "-p", py, "--lock", lock).returncode == 0
    assert start(py) == (0, "ok\n", "")
    make_dist(site, "stray", "1.0")
    code, out, err = start(py)
    assert (code, out) == (0, "ok\n") and "stray" in err and "Traceback" not in err
    # A path with a newline is shown quoted, so every message stays one line per item.
    assert repr(str(lock)) in err
    lock.unlink()
    code, out, err = start(py)
    assert (code, out) == (0, "ok\n") and len(err.splitlines()) == 1 and "is gone" in err


def test_corrupt_state_gives_one_line(tmp_path: Path, make_dist: MakeDist) -> None:
    py, site, lock = make(tmp_path, make_dist)
    assert tether("site-install", "-p", py, "--lock", lock).returncode == 0
    # The whole state is read only when something changed: then it must be readable.
    (site / "_tether_hook" / "state.marshal").write_bytes(b"\x00garbage")
    assert start(py) == (0, "ok\n", "")
    make_dist(site, "stray", "1.0")
    code, out, err = start(py)
    assert (code, out) == (0, "ok\n")
    assert len(err.splitlines()) == 1 and err.startswith("tether: cannot read its start-up data")
    # And the part every start reads.
    (site / "_tether_hook" / "clean.marshal").write_bytes(b"\x00garbage")
    code, out, err = start(py)
    assert (code, out) == (0, "ok\n")
    assert len(err.splitlines()) == 1 and err.startswith("tether: cannot read its start-up data")


def test_skip_variable(tmp_path: Path, make_dist: MakeDist) -> None:
    py, site, lock = make(tmp_path, make_dist)
    assert tether("site-install", "-p", py, "--lock", lock, "--on-drift", "exit", "--force").returncode == 0
    make_dist(site, "stray", "1.0")
    assert start(py, TETHER_SKIP="1") == (0, "ok\n", "")
    code, _, err = start(py)
    assert code == 1 and "TETHER_SKIP=1" in err


def test_pyproject_ranges_are_judged_by_tether(tmp_path: Path, make_dist: MakeDist) -> None:
    """A bound with ranges needs packaging: on a change the hook asks tether once."""
    py, site, _ = make(tmp_path, make_dist)
    pyproject = py.parent.parent.parent / "pyproject.toml"
    pyproject.write_text('[project]\nname = "proj"\nversion = "1"\ndependencies = ["six>=1.10", "idna>=3"]\n')
    assert tether("site-install", "-p", py, "--lock", pyproject).returncode == 0
    assert start(py) == (0, "ok\n", "")
    import shutil

    shutil.rmtree(site / "six-1.16.0.dist-info")
    make_dist(site, "six", "1.9.0")
    code, out, err = start(py)
    assert (code, out) == (0, "ok\n") and "six" in err and "1.9.0" in err


def test_a_touched_lock_is_not_a_changed_lock(tmp_path: Path, make_dist: MakeDist) -> None:
    """A new mtime with the same content (git checkout back and forth) needs no tether."""
    import marshal

    py, site, lock = make(tmp_path, make_dist)
    assert tether("site-install", "-p", py, "--lock", lock).returncode == 0
    state_file = site / "_tether_hook" / "state.marshal"
    state = marshal.loads(state_file.read_bytes())
    state["tether"] = [str(tmp_path / "no-such-tether")]  # any refresh would say so
    state_file.write_bytes(marshal.dumps(state))
    stat = lock.stat()
    os.utime(lock, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert start(py) == (0, "ok\n", "")
    make_dist(site, "stray", "1.0")
    code, _, err = start(py)
    assert code == 0 and "stray" in err and "no-such-tether" not in err
    # An edit is a change: tether must decide, and here it is gone.
    lock.write_text("six==1.16.0\n")
    code, _, err = start(py)
    assert code == 0 and "no-such-tether" in err and "is gone" in err


def test_guards_against_what_users_rarely_mean(tmp_path: Path, make_dist: MakeDist) -> None:
    py, site, lock = make(tmp_path, make_dist)
    # Exit mode in an environment that has drifted already: every start would stop.
    make_dist(site, "stray", "1.0")
    proc = tether("site-install", "-p", py, "--lock", lock, "--on-drift", "exit")
    assert proc.returncode == 2 and not (site / PTH_NAME).exists()
    assert proc.stderr.count("\n") == 1 and "has drifted already (1 finding)" in proc.stderr
    assert "pass --force" in proc.stderr
    assert tether("site-install", "-p", py, "--lock", lock, "--on-drift", "exit", "--force").returncode == 0
    assert tether("site-uninstall", "-p", py).returncode == 0


def test_a_base_interpreter_needs_system(tmp_path: Path) -> None:
    """Installing into an interpreter that is not an environment of its own would check
    every program on it: refused without --system (and nothing is written)."""
    import shutil

    system = shutil.which("python3.11", path="/usr/bin") or ""
    if not system:
        pytest.skip("no system python3.11 in /usr/bin")
    lock = tmp_path / "requirements.txt"
    lock.write_text("six==1.16.0\n")
    purelib = run(system, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    had = os.path.exists(os.path.join(purelib, PTH_NAME))
    proc = tether("site-install", "-p", system, "--lock", lock)
    try:
        assert proc.returncode == 2, proc.stdout
        assert proc.stderr.count("\n") == 1
        assert "is not a virtual or conda environment" in proc.stderr and "--system" in proc.stderr
        assert os.path.exists(os.path.join(purelib, PTH_NAME)) == had
    finally:
        if not had and os.path.exists(os.path.join(purelib, PTH_NAME)):
            tether("site-uninstall", "-p", system)


def test_uninstall_checks_everything_before_removing_anything(tmp_path: Path, make_dist: MakeDist) -> None:
    py, site, lock = make(tmp_path, make_dist)
    before = sorted(os.listdir(site))
    assert tether("site-install", "-p", py, "--lock", lock).returncode == 0
    (site / START_NAME).write_text("someone_else:run\n")
    proc = tether("site-uninstall", "-p", py)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "was not written by tether; leaving everything in place" in proc.stderr
    assert (site / PTH_NAME).exists() and (site / "_tether_hook").is_dir()
    (site / START_NAME).unlink()
    # Temporary files of an interrupted install are ours too.
    (site / f".{PTH_NAME}.12345.tmp").write_text("half")
    assert tether("site-uninstall", "-p", py).returncode == 0
    assert sorted(os.listdir(site)) == before


def test_a_lock_reached_through_a_symlink_follows_the_link(tmp_path: Path, make_dist: MakeDist) -> None:
    """Deploy tools lay releases out as current -> releases/N: switching the link is a
    change of the lock."""
    py, _, _ = make(tmp_path, make_dist)
    releases = tmp_path / "releases"
    for n, pins in ((1, "six==1.16.0\nidna==3.6\n"), (2, "six==1.16.0\nidna==3.7\n")):
        (releases / str(n)).mkdir(parents=True)
        (releases / str(n) / "requirements.txt").write_text(pins)
    current = tmp_path / "current"
    current.symlink_to(releases / "1")
    assert tether("site-install", "-p", py, "--lock", current / "requirements.txt").returncode == 0
    assert start(py) == (0, "ok\n", "")
    current.unlink()
    current.symlink_to(releases / "2")
    code, out, err = start(py)
    assert (code, out) == (0, "ok\n")
    assert "idna" in err and "3.6 installed, locked 3.7" in err
    proc = tether("site-status", "-p", py)
    assert "drifted (1 finding)" in proc.stdout, proc.stderr
    assert str(current / "requirements.txt") in proc.stdout


def test_a_refresh_that_fails_is_said_at_each_start_and_in_the_status(
    tmp_path: Path, make_dist: MakeDist
) -> None:
    import marshal

    py, site, lock = make(tmp_path, make_dist)
    assert tether("site-install", "-p", py, "--lock", lock).returncode == 0
    state_file = site / "_tether_hook" / "state.marshal"
    state = marshal.loads(state_file.read_bytes())
    state["tether"] = [sys.executable, "-c", "import sys; sys.exit('tether crashed')"]
    state_file.write_bytes(marshal.dumps(state))
    lock.write_text("six==1.16.0\nidna==3.7\n")
    for _ in range(2):
        code, out, err = start(py)
        assert (code, out) == (0, "ok\n")
        assert "could not re-check this environment (tether failed: tether crashed)" in err
    assert "last result: stale" in tether("site-status", "-p", py).stdout


def test_the_line_falls_back_to_the_import_system_on_another_python(
    tmp_path: Path, make_dist: MakeDist
) -> None:
    """The .pth line holds the loader compiled by the target; a Python whose magic number
    differs (an upgraded venv) takes the fallback, which still checks."""
    import re

    py, site, lock = make(tmp_path, make_dist)
    assert tether("site-install", "-p", py, "--lock", lock).returncode == 0
    pth = site / PTH_NAME
    text = pth.read_text(encoding="utf-8")
    assert "marshal.loads(" in text
    # Normally the import system is not used (no listing of site-packages at each start).
    assert start(py, "-c", "import sys; print('_tether_hook' in sys.modules)")[1] == "False\n"
    pth.write_text(
        re.sub(r"e\.MAGIC_NUMBER == b'[^']*'", "e.MAGIC_NUMBER == b'nope'", text), encoding="utf-8"
    )
    assert start(py) == (0, "ok\n", "")
    make_dist(site, "stray", "1.0")
    code, _, err = start(py)
    assert code == 0 and "stray" in err and "Traceback" not in err
    assert start(py, "-c", "import sys; print('_tether_hook' in sys.modules)")[1] == "True\n"


def test_a_drifted_environment_is_reported_from_the_clean_part_alone(
    tmp_path: Path, make_dist: MakeDist
) -> None:
    """Once a drift is stored, each start reports it without reading the whole state,
    whose expectation grows with the lock: only what changed is read again."""
    py, site, lock = make(tmp_path, make_dist)
    assert tether("site-install", "-p", py, "--lock", lock).returncode == 0
    make_dist(site, "stray", "1.0")
    first = start(py)
    assert "stray" in first[2]
    (site / "_tether_hook" / "state.marshal").write_bytes(b"\x00not read when nothing changed")
    assert start(py) == first


STALE_PYPROJECT = """\
[project]
name = "proj"
version = "0.1.0"
requires-python = ">=3.8"
dependencies = ["six==1.16.0", "idna==3.6"]
"""
STALE_LOCK = """\
version = 1
revision = 3
requires-python = ">=3.8"

[[package]]
name = "idna"
version = "3.6"
source = { registry = "https://index.example/simple" }

[[package]]
name = "proj"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "idna" },
    { name = "six" },
]

[package.metadata]
requires-dist = [
    { name = "idna", specifier = "==3.6" },
    { name = "six", specifier = "==1.16.0" },
]

[[package]]
name = "six"
version = "1.16.0"
source = { registry = "https://index.example/simple" }
"""


def test_a_stale_lock_warns_and_stops_only_when_asked(tmp_path: Path, make_dist: MakeDist) -> None:
    """The project file edited after the lock: one line at each start, the fix re-locks
    first; exit mode stops for it only with --stale-lock exit; --frozen leaves it out."""
    py, _, _ = make(tmp_path, make_dist)
    root = py.parent.parent.parent
    (root / "pyproject.toml").write_text(STALE_PYPROJECT)
    lock = root / "uv.lock"
    lock.write_text(STALE_LOCK)
    assert tether("site-install", "-p", py, "--lock", lock, "--on-drift", "exit").returncode == 0
    assert start(py) == (0, "ok\n", "")
    (root / "pyproject.toml").write_text(STALE_PYPROJECT.replace('"idna==3.6"', '"idna==3.7"'))
    code, out, err = start(py)
    assert (code, out) == (0, "ok\n")
    # Installing again says what the state means for starts.
    again = tether("site-install", "-p", py, "--lock", lock, "--on-drift", "exit")
    assert again.returncode == 0 and again.stdout.endswith(
        "environment now: as locked, but the lock is out of date (stale-lock; reported at each "
        "start, not stopping it)\n"
    )
    assert err == (
        f"tether: {lock} no longer matches its project file:\n"
        "  uv.lock  lock out of date: pyproject.toml: proj requires idna==3.7 (the lock has idna==3.6)\n"
        f"  fix: uv lock && uv sync  (in {root})\n"
        "  skip this check once: TETHER_SKIP=1\n"
    )
    # In exit mode a stale lock stops a start only when asked; installing so in an
    # environment that has it already is refused like any drift.
    refused = tether("site-install", "-p", py, "--lock", lock, "--on-drift", "exit", "--stale-lock", "exit")
    assert refused.returncode == 2 and "has drifted already (1 finding)" in refused.stderr
    forced = ("--on-drift", "exit", "--stale-lock", "exit", "--exit-code", "5", "--force")
    assert tether("site-install", "-p", py, "--lock", lock, *forced).returncode == 0
    code, out, err = start(py)
    assert (code, out) == (5, "") and "lock out of date" in err and "not starting (exit mode)" in err
    assert tether("site-install", "-p", py, "--lock", lock, *forced, "--frozen").returncode == 0
    assert start(py) == (0, "ok\n", "")
    # The same verdict from validate, and none with --frozen.
    proc = tether("validate", "-p", py, "--lock", lock)
    assert (
        proc.returncode == 1
        and "uv.lock  stale-lock" in proc.stdout
        and "repair: uv lock && uv sync" in proc.stdout
    )
    assert tether("validate", "-p", py, "--lock", lock, "--frozen").returncode == 0
