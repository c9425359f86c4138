"""Never a stale answer from a bound: after each kind of change to what a bound's reading
consulted, a cached ``tether validate`` answers as ``--no-cache`` does.

Each test runs the command once (filling the result cache and the fast path's entry),
makes one change, then compares the cached run with an uncached one. The change is made
alone (the cache misses, or it holds and is right), and together with an install (the
result cache misses on the site directory: the fast path must miss too).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.helpers import MakeDist, MakeDistVenv, clean_env, data_file, site_packages
from tether.cli import main

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


@pytest.fixture
def venv(dist_venv: MakeDistVenv) -> Path:
    return dist_venv({"six": "1.16.0", "idna": "3.7"})


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TETHER_CACHE_DIR", str(tmp_path / "cache"))


def answer(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def same_as_uncached(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    cached = answer(capsys, argv)
    assert cached == answer(capsys, [*argv, "--no-cache"])
    return cached


def cases(change: Callable[[], object], *, install: bool, venv: Path, make_dist: MakeDist) -> None:
    change()
    if install:
        make_dist(site_packages(venv), "certifi", "2024.2.2")


@pytest.mark.parametrize("install", [False, True], ids=["alone", "with-an-install"])
def test_a_variable_in_a_requirements_file(venv: Path, tmp_path: Path, make_dist: MakeDist, install: bool,
                                          capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    lock = tmp_path / "requirements.txt"
    lock.write_text("six==${TETHER_T_SIX}\nidna==3.7\ncertifi==2024.2.2; os_name == '${TETHER_T_OS}'\n")
    monkeypatch.setenv("TETHER_T_SIX", "1.16.0")
    monkeypatch.delenv("TETHER_T_OS", raising=False)
    argv = ["validate", "-p", str(venv), "--lock", str(lock)]
    assert same_as_uncached(capsys, argv)[0] == 0
    cases(
        lambda: monkeypatch.setenv("TETHER_T_SIX", "1.17.0"), install=install, venv=venv, make_dist=make_dist
    )
    code, out, _ = same_as_uncached(capsys, argv)
    assert code == 1 and "1.17.0" in out
    monkeypatch.setenv("TETHER_T_SIX", "1.16.0")
    assert same_as_uncached(capsys, argv)[0] == (1 if install else 0)  # certifi unexpected
    monkeypatch.setenv("TETHER_T_OS", os.name)  # an unset variable that is set later
    assert same_as_uncached(capsys, argv)[0] == (0 if install else 1)  # certifi expected


def records(out: str) -> dict[str, str]:
    return {r["name"]: r["status"] for r in json.loads(out)["records"]}


@pytest.mark.parametrize("install", [False, True], ids=["alone", "with-an-install"])
def test_a_pyproject_created_beside_a_uv_lock(venv: Path, tmp_path: Path, make_dist: MakeDist, install: bool,
                                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """uv's default groups come from the pyproject.toml beside the lock: absent, ``dev``."""
    lock = tmp_path / "uv.lock"
    lock.write_text(
        'version = 1\nrequires-python = ">=3.8"\n\n'
        '[[package]]\nname = "app"\nversion = "0.1"\nsource = { editable = "." }\n'
        'dependencies = [{ name = "six" }]\n\n[package.dev-dependencies]\ndev = [{ name = "idna" }]\n\n'
        '[[package]]\nname = "six"\nversion = "1.16.0"\nsource = { registry = "https://i.example/simple" }\n\n'
        '[[package]]\nname = "idna"\nversion = "3.7"\nsource = { registry = "https://i.example/simple" }\n'
    )
    argv = ["validate", "-p", str(venv), "--lock", str(lock), "--format", "json"]
    _, out, err = same_as_uncached(capsys, argv)
    assert records(out) == {"app": "missing"} and "no pyproject.toml beside it" in err  # dev: idna expected
    pyproject = tmp_path / "pyproject.toml"
    cases(lambda: pyproject.write_text('[project]\nname = "app"\n\n[tool.uv]\ndefault-groups = []\n'),
          install=install, venv=venv, make_dist=make_dist)  # fmt: skip
    _, out, err = same_as_uncached(capsys, argv)
    assert records(out)["idna"] == "unexpected" and err == ""
    pyproject.unlink()
    assert same_as_uncached(capsys, argv)[2] != ""


def test_a_pyproject_created_beside_a_local_project(venv: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """A local project is named by its pyproject.toml, else its setup.cfg: both stamped."""
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "setup.cfg").write_text("[metadata]\nname = six\n")
    lock = tmp_path / "requirements.txt"
    lock.write_text("-e ./proj\nidna==3.7\n")
    argv = ["validate", "-p", str(venv), "--lock", str(lock), "--format", "json"]
    before = same_as_uncached(capsys, argv)
    (tmp_path / "proj" / "pyproject.toml").write_text('[project]\nname = "other"\n')
    after = same_as_uncached(capsys, argv)
    assert records(before[1]) == {"six": "mismatch"}  # expected editable from ./proj
    assert records(after[1]) == {"other": "missing", "six": "unexpected"}


def test_an_include_reached_through_a_switched_link(venv: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    for name, pin in (("one", "six==1.16.0"), ("two", "six==1.17.0")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pins.txt").write_text(pin + "\n")
    (tmp_path / "current").symlink_to("one")
    lock = tmp_path / "requirements.txt"
    # Included twice, by two names of one file: read once, both names stamped.
    lock.write_text("-r one/pins.txt\n-r current/pins.txt\nidna==3.7\n")
    argv = ["validate", "-p", str(venv), "--lock", str(lock)]
    assert same_as_uncached(capsys, argv)[0] == 0
    (tmp_path / "current").unlink()
    (tmp_path / "current").symlink_to("two")
    assert same_as_uncached(capsys, argv)[0] == 1


def test_a_nested_file_created_later(venv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = tmp_path / "requirements.txt"
    lock.write_text("six==1.16.0\n-r more.txt\n")
    argv = ["validate", "-p", str(venv), "--lock", str(lock)]
    assert answer(capsys, argv)[0] == 2  # errors are not cached
    (tmp_path / "more.txt").write_text("idna==3.7\n")
    assert same_as_uncached(capsys, argv)[0] == 0


def piped(venv: Path, cwd: Path, content: str, lock: str = "/dev/stdin") -> subprocess.CompletedProcess[str]:
    env = clean_env(TETHER_CACHE_DIR=str(cwd / "cache"))
    return subprocess.run([sys.executable, "-m", "tether", "validate", "-p", str(venv), "--lock", lock],
                          input=content, capture_output=True, text=True, env=env, cwd=cwd, timeout=60, check=False)  # fmt: skip


def test_a_pipe_is_read_once_and_never_cached(venv: Path, tmp_path: Path) -> None:
    first = piped(venv, tmp_path, "six==1.16.0\nidna==3.7\n")
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout.endswith("match /dev/stdin\n")
    second = piped(venv, tmp_path, "six==1.17.0\nidna==3.7\n")
    assert second.returncode == 1 and "1.17.0" in second.stdout
    again = piped(venv, tmp_path, "six==1.16.0\nidna==3.7\n")
    assert again.returncode == 0


@pytest.mark.skipif(not os.path.exists("/bin/bash"), reason="process substitution needs bash")
def test_process_substitution(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("six==1.16.0\nidna==3.7\n")
    env = clean_env(TETHER_CACHE_DIR=str(tmp_path / "cache"))
    command = f"{sys.executable} -m tether validate -p {venv} --lock <(cat r.txt)"
    for content, code in (("six==1.16.0\nidna==3.7\n", 0), ("six==1.17.0\nidna==3.7\n", 1)):
        (tmp_path / "r.txt").write_text(content)
        proc = subprocess.run(["/bin/bash", "-c", command], capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=60, check=False)  # fmt: skip
        assert (proc.returncode, proc.stderr) == (code, "")


def test_a_requirements_file_from_a_regular_stdin(venv: Path, tmp_path: Path) -> None:
    """/dev/stdin redirected from a file: read once, never cached either (the next run's
    standard input may be a pipe, which a stamp would read)."""
    env = clean_env(TETHER_CACHE_DIR=str(tmp_path / "cache"))
    for content, code in (("six==1.16.0\nidna==3.7\n", 0), ("six==1.17.0\nidna==3.7\n", 1)):
        (tmp_path / "r.txt").write_text(content)
        with (tmp_path / "r.txt").open() as stdin:
            proc = subprocess.run([sys.executable, "-m", "tether", "validate", "-p", str(venv), "--lock",
                                   "/dev/stdin"], stdin=stdin, capture_output=True, text=True, env=env,
                                  cwd=tmp_path, timeout=60, check=False)  # fmt: skip
        assert (proc.returncode, proc.stderr) == (code, "")
    data_file("requirements", "pip-compile-hashes.txt")  # the fixture layout is unchanged
