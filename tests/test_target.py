from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.helpers import MakeVenv, pyenv_python
from tether.errors import TargetError
from tether.target import query_target


def test_venv_sites_and_markers(make_venv: MakeVenv) -> None:
    venv = make_venv(python=pyenv_python("3.8"))
    target = query_target(str(venv / "bin" / "python"))
    assert target.venv and target.prefix == str(venv)
    assert target.sites == (str(venv / "lib" / "python3.8" / "site-packages"),)
    assert target.purelib == target.sites[0]
    assert target.markers["python_version"] == "3.8"
    assert target.version[:2] == (3, 8)
    assert any(str(t).startswith("cp38-cp38-") for t in target.tags())


def test_system_site_packages_venv(tmp_path: Path) -> None:
    import subprocess

    python = pyenv_python("3.12")
    venv = tmp_path / "v"
    subprocess.run([python, "-m", "venv", "--without-pip", "--system-site-packages", venv], check=True)
    target = query_target(str(venv))
    assert target.sites[0] == str(venv / "lib" / "python3.12" / "site-packages")
    assert str(Path(python).resolve().parent.parent / "lib" / "python3.12" / "site-packages") in target.sites


def test_running_interpreter_is_asked_in_process() -> None:
    """In-process and in a child, the running interpreter describes itself the same way,
    so a result never depends on whether tether runs inside its target."""
    from tether.target import PendingTarget

    target = query_target(sys.executable)
    assert target.executable == sys.executable
    child = PendingTarget(sys.executable, use_cache=False, in_process=False).result()
    assert (child.sites, child.purelib, child.markers, child.prefix) == (
        target.sites, target.purelib, target.markers, target.prefix)  # fmt: skip


def test_an_interpreter_that_never_answers_is_killed_with_its_children(tmp_path: Path) -> None:
    import os
    import time

    import pytest

    from tether.errors import TargetError
    from tether.target import PendingTarget

    pids = tmp_path / "pids"
    fake = tmp_path / "python"
    fake.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pids}\nwait\n")
    fake.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(TargetError) as raised:
        PendingTarget(str(fake), use_cache=False, timeout=1).result()
    assert time.monotonic() - started < 5
    assert str(raised.value) == f"{fake}: did not answer within 1 s; expected a Python 3.8+ interpreter"
    grandchild = int(pids.read_text())
    for _ in range(50):
        try:
            state = Path(f"/proc/{grandchild}/stat").read_text().split(") ")[-1][0]
        except FileNotFoundError:
            break
        if state in "ZX":
            break
        time.sleep(0.05)
    else:
        os.kill(grandchild, 9)
        raise AssertionError("the interpreter's child survived")


SYSTEM_PYTHON = Path("/usr/bin/python3")


def test_venv_of_a_debian_python_reads_its_site_packages(tmp_path: Path) -> None:
    """Debian and Ubuntu patch site.getsitepackages (dist-packages for the system): a venv
    made from their python3 still imports from its own lib/pythonX.Y/site-packages."""
    import subprocess

    import pytest

    if not SYSTEM_PYTHON.exists():
        pytest.skip("no system /usr/bin/python3 on this machine")
    venv = tmp_path / "v"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", venv], check=True)
    imported = subprocess.run(
        [venv / "bin" / "python", "-c", "import sys; print([p for p in sys.path if 'packages' in p][0])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    target = query_target(str(venv), use_cache=False)
    assert target.sites[0] == imported == target.purelib
    assert target.purelib.endswith("site-packages")


def test_interpreter_discovery_as_uv_does_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from tether.target import find_interpreter

    project = tmp_path / "project"
    (project / "src" / "pkg").mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", project / ".venv"], check=True)
    venv_python = str(project / ".venv" / "bin" / "python")
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    # No --python and no active venv: the project's .venv, from the project or below it.
    for where in (project, project / "src" / "pkg"):
        monkeypatch.chdir(where)
        assert find_interpreter(None) == venv_python
    # An active venv wins.
    other = tmp_path / "other"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", other], check=True)
    monkeypatch.setenv("VIRTUAL_ENV", str(other))
    assert find_interpreter(None) == str(other / "bin" / "python")
    # A relative path is a path, never a name looked up on PATH.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "python").symlink_to(venv_python)
    assert find_interpreter("./python") == str(tmp_path / "python")
    assert find_interpreter("project/.venv") == venv_python
    # A version request is found on PATH as pythonX.Y.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3.12").symlink_to(pyenv_python("3.12"))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    for request in ("3.12", "python3.12", "cpython@3.12", "cp312"):
        assert find_interpreter(request) == str(bin_dir / "python3.12"), request
    assert query_target("3.12", use_cache=False).version[:2] == (3, 12)
    with pytest.raises(TargetError, match=r"^3\.99: no python3\.99 on PATH"):
        find_interpreter("3.99")
