"""Discovery on real trees: venvs from two pyenv Pythons, a conda-style environment, and
files named ``python*`` that would leave a mark if anything ran them."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.helpers import MakeDist, pyenv_python, run, site_packages, tether
from tether.errors import TetherError
from tether.inventory.discover import discover, environment_at

TRAP = """#!/bin/sh
# Run by whatever executes the python* files it finds: it must never run.
echo ran >> {marker}
exec /bin/false
"""


def plant_trap(path: Path, marker: Path) -> Path:
    """An executable named like an interpreter that writes *marker* if run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TRAP.format(marker=marker))
    path.chmod(0o755)
    return path


def conda_record(meta: Path, name: str, version: str, build: str, files: list[str]) -> None:
    """A ``conda-meta/NAME-VERSION-BUILD.json`` record, with the keys conda writes."""
    record = {
        "build": build,
        "build_number": 0,
        "channel": "conda-forge",
        "constrains": [],
        "depends": ["python >=3.8"] if name != "python" else [],
        "extracted_package_dir": f"/opt/conda/pkgs/{name}-{version}-{build}",
        "features": "",
        "files": files,
        "fn": f"{name}-{version}-{build}.conda",
        "license": "Apache-2.0",
        "link": {"source": f"/opt/conda/pkgs/{name}-{version}-{build}", "type": 1},
        "md5": "0" * 32,
        "name": name,
        "package_tarball_full_path": f"/opt/conda/pkgs/{name}-{version}-{build}.conda",
        "paths_data": {"paths": [{"_path": f, "path_type": "hardlink"} for f in files], "paths_version": 1},
        "requested_spec": name,
        "sha256": "0" * 64,
        "size": 1234,
        "subdir": "noarch" if name != "python" else "linux-64",
        "timestamp": 1700000000000,
        "track_features": "",
        "url": f"conda-forge/{name}-{version}-{build}.conda",
        "version": version,
    }
    meta.mkdir(parents=True, exist_ok=True)
    (meta / f"{name}-{version}-{build}.json").write_text(json.dumps(record, indent=1))


def make_conda_env(prefix: Path, make_dist: MakeDist, marker: Path) -> None:
    """A conda environment: python 3.11 (its interpreter a trap), requests as a Python
    distribution with the files conda installs, openssl as a package that is not one."""
    site = prefix / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    plant_trap(prefix / "bin" / "python3.11", marker)
    conda_record(prefix / "conda-meta", "python", "3.11.7", "hab00c5b_1_cpython", ["bin/python3.11"])
    info = make_dist(site, "requests", "2.31.0", folder="requests-2.31.0.dist-info")
    (info / "INSTALLER").write_text("conda\n")
    files = [f"lib/python3.11/site-packages/requests-2.31.0.dist-info/{n}" for n in ("INSTALLER", "METADATA")]
    conda_record(prefix / "conda-meta", "requests", "2.31.0", "pyhd8ed1ab_0", files)
    conda_record(prefix / "conda-meta", "openssl", "3.2.0", "hd590300_1", ["lib/libssl.so.3"])


def expected_dists(site: Path) -> Counter[tuple[str, str]]:
    """What ``importlib.metadata`` finds in *site*: the independent reading."""
    return Counter(
        (canonicalize_name(d.metadata["Name"]), d.version)
        for d in importlib.metadata.distributions(path=[str(site)])
    )


@pytest.mark.flows
def test_scan_finds_every_environment_and_distribution_once_and_runs_nothing(
    tmp_path: Path, make_dist: MakeDist
) -> None:
    root = tmp_path / "machine"
    marker = tmp_path / "EXECUTED"
    py312, py311 = pyenv_python("3.12"), pyenv_python("3.11")
    project = root / "src" / "app" / ".venv"
    run(py312, "-m", "venv", project)
    tools = root / "tools" / "sys311"
    run(py311, "-m", "venv", "--system-site-packages", tools)
    conda_base, conda_env = root / "miniconda3", root / "miniconda3" / "envs" / "data"
    make_conda_env(conda_base, make_dist, marker)
    make_conda_env(conda_env, make_dist, marker)
    # The probe fetter ran, and an environment whose every interpreter is a trap.
    plant_trap(root / "x" / "python3.99", marker)
    trapped = root / "trapped"
    (trapped / "lib" / "python3.99" / "site-packages").mkdir(parents=True)
    make_dist(trapped / "lib" / "python3.99" / "site-packages", "trapped-dist", "1.0")
    for name in ("python", "python3", "python3.99"):
        plant_trap(trapped / "bin" / name, marker)
    (trapped / "pyvenv.cfg").write_text(f"home = {root / 'x'}\nversion = 3.99.0\n")
    plant_trap(project / "bin" / "python3.99", marker)
    # A second name for the project: found once (real paths).
    (root / "link-to-src").symlink_to(root / "src")

    proc = tether("scan", "--root", root, "--root", root / "src", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    base311 = Path(py311).resolve().parents[1]
    envs = {e["prefix"]: e for e in document["environments"]}
    assert set(envs) == {
        str(project.resolve()),
        str(tools.resolve()),
        str(conda_base.resolve()),
        str(conda_env.resolve()),
        str(trapped.resolve()),
        str(base311),  # the base whose site-packages sys311 imports
    }
    kinds = {prefix: e["kind"] for prefix, e in envs.items()}
    assert kinds[str(project.resolve())] == "venv"
    assert kinds[str(conda_env.resolve())] == "conda"
    assert kinds[str(base311)] == "base"
    assert envs[str(project.resolve())]["python_version"].startswith("3.12.")
    assert envs[str(tools.resolve())]["python_version"].startswith("3.11.")
    assert envs[str(conda_env.resolve())]["python_version"] == "3.11.7"
    assert envs[str(trapped.resolve())]["python_version"] == "3.99.0"
    sys311 = envs[str(tools.resolve())]
    assert sys311["system_site_packages"] is True
    assert envs[str(base311)]["inherited_only"] is True
    assert sys311["base"] == str(base311)
    assert sys311["inherited_sites"] == [str(base311 / "lib" / "python3.11" / "site-packages")]

    # Every distribution, exactly once, under the site that holds it.
    seen = Counter((d["site"], d["name"]) for e in envs.values() for d in e["distributions"])
    assert [k for k, n in seen.items() if n > 1] == []
    for prefix, env in envs.items():
        (site,) = env["sites"]
        got = Counter((d["name"], d["version"]) for d in env["distributions"])
        assert got == expected_dists(Path(site)), prefix
    conda = envs[str(conda_env.resolve())]
    assert [(d["name"], d["installer"]) for d in conda["distributions"]] == [("requests", "conda")]
    assert sorted(p["name"] for p in conda["conda_packages"]) == ["openssl", "python", "requests"]
    assert {d["installer"] for d in envs[str(project.resolve())]["distributions"]} == {"pip"}

    for command in (("count",), ("search", "*"), ("inspect",), ("files",), ("derive",)):
        proc = tether(*command, "--root", root)
        assert proc.returncode in (0, 1), proc.stderr
        assert "Traceback" not in proc.stderr
    assert not marker.exists(), "a python* file found on disk was executed"


def test_python_names_one_environment_without_running_it(tmp_path: Path, make_dist: MakeDist) -> None:
    marker = tmp_path / "EXECUTED"
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    make_dist(site, "six", "1.16.0")
    (venv / "pyvenv.cfg").write_text("home = /nowhere/bin\nversion_info = 3.11.7\n")
    python = plant_trap(venv / "bin" / "python", marker)
    for given in (venv, python):
        assert environment_at(str(given)) == (str(venv.resolve()), "venv")
        inventory = discover(python=str(given))
        (env,) = inventory.environments
        assert [(d.name, d.version) for d in env.distributions] == [("six", "1.16.0")]
        assert env.python_version == "3.11.7"
    assert not marker.exists()
    with pytest.raises(TetherError, match="not a Python environment"):
        environment_at(str(tmp_path))


def test_nested_environments_and_pruned_folders(tmp_path: Path, make_dist: MakeDist) -> None:
    # pyenv-virtualenv keeps its venvs in versions/X/envs; node_modules is never walked.
    base = tmp_path / "pyenv" / "versions" / "3.11.7"
    make_dist(base / "lib" / "python3.11" / "site-packages", "pip", "23.2.1")
    nested = base / "envs" / "tool"
    make_dist(nested / "lib" / "python3.11" / "site-packages", "black", "24.1.0")
    (nested / "pyvenv.cfg").write_text(f"home = {base / 'bin'}\nversion = 3.11.7\n")
    hidden = tmp_path / "web" / "node_modules" / "venv"
    make_dist(hidden / "lib" / "python3.11" / "site-packages", "hidden", "1.0")
    (hidden / "pyvenv.cfg").write_text("home = /x/bin\n")
    inventory = discover([str(tmp_path)])
    assert [(e.prefix, e.kind) for e in inventory.environments] == [
        (str(base), "base"),
        (str(nested), "venv"),
    ]
    assert inventory.interpreters == (str(base),)


def _fifo_cfg(venv: Path) -> None:
    os.mkfifo(venv / "pyvenv.cfg")


def _directory_cfg(venv: Path) -> None:
    (venv / "pyvenv.cfg").mkdir()


def _binary_cfg(venv: Path) -> None:
    (venv / "pyvenv.cfg").write_bytes(b"\xff\xfe\x00garbage\x00" * 100)


def _looping_cfg(venv: Path) -> None:
    (venv / "pyvenv.cfg").symlink_to(venv / "pyvenv.cfg")


@pytest.mark.parametrize(
    ("break_it", "problem"),
    [
        pytest.param(_fifo_cfg, "cannot read (not a regular file)", id="fifo"),
        pytest.param(_directory_cfg, "cannot read (not a regular file)", id="directory"),
        pytest.param(_binary_cfg, "no 'home' key (not a venv's configuration?)", id="binary"),
        pytest.param(_looping_cfg, "cannot read (Too many levels of symbolic links)", id="symlink-loop"),
    ],
)
def test_a_broken_pyvenv_cfg_is_a_problem_of_its_environment(
    tmp_path: Path, make_dist: MakeDist, break_it: object, problem: str
) -> None:
    venv = tmp_path / "venv"
    make_dist(venv / "lib" / "python3.12" / "site-packages", "attrs", "23.2.0")
    break_it(venv)  # type: ignore[operator]
    (env,) = discover([str(tmp_path)]).environments
    assert env.problems == (f"{venv / 'pyvenv.cfg'}: {problem}",)
    assert env.python_version == "3.12"  # from lib/python3.12
    assert [d.name for d in env.distributions] == ["attrs"]


def test_hostile_trees_never_crash_or_hang(tmp_path: Path, make_dist: MakeDist) -> None:
    root = tmp_path / "root"
    root.mkdir()
    # Symbolic link loops: to an ancestor, to each other, to itself, and a venv's lib.
    (root / "up").symlink_to(root)
    (root / "a").symlink_to(root / "b")
    (root / "b").symlink_to(root / "a")
    (root / "self").symlink_to(root / "self")
    looped = root / "looped"
    looped.mkdir()
    (looped / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (looped / "lib").symlink_to(looped / "lib")
    # A dist-info without METADATA, one with a non-UTF-8 name, in a folder with one too.
    odd = Path(os.fsdecode(bytes(root) + b"/caf\xe9"))
    site = odd / "lib" / "python3.11" / "site-packages"
    make_dist(site, "ok", "1.0")
    (site / "nometa-1.0.dist-info").mkdir()
    (site / "nometa-1.0.dist-info" / "INSTALLER").write_text("pip\n")
    make_dist(site, "bytes", "2.0", folder=os.fsdecode(b"b\xffytes-2.0.dist-info"))
    (odd / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")

    proc = subprocess.run(
        [sys.executable, "-m", "tether", "scan", "--root", str(root), "--format", "json"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
    envs = {e["prefix"]: e for e in json.loads(proc.stdout)["environments"]}
    assert set(envs) == {os.fsdecode(bytes(looped)), os.fsdecode(bytes(odd))}
    assert envs[str(looped)]["problems"] == [f"{looped}: no lib/pythonX.Y/site-packages"]
    dists = {d["name"]: d for d in envs[os.fsdecode(bytes(odd))]["distributions"]}
    assert sorted(dists) == ["bytes", "nometa", "ok"]
    assert dists["nometa"]["problem"] == "cannot read METADATA (No such file or directory)"
    for fmt in ("text", "csv"):
        proc = subprocess.run(
            [sys.executable, "-m", "tether", "scan", "--root", str(root), "--format", fmt],
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert b"caf\\udce9" in proc.stdout or b"caf\\xe9" in proc.stdout


def test_a_directory_it_may_not_list_is_a_warning(tmp_path: Path, make_dist: MakeDist) -> None:
    # The tests run as root, whom chmod does not stop: tether is run without the
    # capabilities that let root read anything (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH).
    if os.geteuid() != 0 or not Path("/usr/bin/setpriv").exists():
        pytest.skip("needs root and setpriv to drop the capabilities that bypass permissions")
    root = tmp_path / "root"
    make_dist(root / "open" / "lib" / "python3.11" / "site-packages", "six", "1.16.0")
    (root / "open" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    locked = root / "locked"
    make_dist(locked / "venv" / "lib" / "python3.11" / "site-packages", "secret", "1.0")
    locked.chmod(0)
    try:
        proc = subprocess.run(
            ["/usr/bin/setpriv", "--bounding-set", "-dac_override,-dac_read_search",
             sys.executable, "-m", "tether", "scan", "--root", str(root), "--format", "json"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        locked.chmod(stat.S_IRWXU)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"tether: warning: {locked}: cannot list (Permission denied)\n"
    document = json.loads(proc.stdout)
    assert document["warnings"] == [f"{locked}: cannot list (Permission denied)"]
    assert [e["prefix"] for e in document["environments"]] == [str(root / "open")]


def test_bad_roots_are_one_line_errors(tmp_path: Path) -> None:
    proc = tether("scan", "--root", tmp_path / "nope")
    assert (proc.returncode, proc.stderr) == (
        2,
        f"tether: error: {tmp_path / 'nope'}: not a directory (--root takes a directory to walk)\n",
    )
    proc = tether("count", "-p", tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"tether: error: {tmp_path}: not a Python environment")
    proc = tether("scan", "--root", tmp_path, "-p", tmp_path)
    assert proc.returncode == 2
    assert "not allowed with argument" in proc.stderr


def test_no_cache_an_install_shows_at_once(tmp_path: Path, make_dist: MakeDist) -> None:
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.11" / "site-packages"
    make_dist(site, "one", "1.0")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    first = tether("count", "--root", tmp_path, "--format", "json")
    make_dist(site, "two", "1.0")
    second = tether("count", "--root", tmp_path, "--format", "json")
    assert json.loads(first.stdout)["distributions"] == 1
    assert json.loads(second.stdout)["distributions"] == 2


def test_site_packages_helper_agrees(tmp_path: Path) -> None:
    # The venv made by the stdlib's venv module has the layout discovery expects.
    venv = tmp_path / "v"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    (env,) = discover([str(tmp_path)]).environments
    assert env.sites == (str(site_packages(venv).resolve()),)


def test_progress_shows_on_a_terminal_only(tmp_path: Path, make_dist: MakeDist) -> None:
    import pty

    venv = tmp_path / "venv"
    make_dist(venv / "lib" / "python3.11" / "site-packages", "six", "1.16.0")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tether", "count", "--root", str(tmp_path)],
            stdout=subprocess.PIPE, stderr=follower, timeout=60, check=False,
        )  # fmt: skip
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert proc.returncode == 0
    assert re.search(rb"\rtether: \d+ directories, \d+ environments\x1b\[K", shown), shown
    assert shown.endswith(b"\r\x1b[K")  # cleared at the end
    piped = tether("count", "--root", tmp_path)
    assert piped.stderr == ""


def test_the_user_base_and_a_home_that_is_a_prefix_are_walked_into(
    tmp_path: Path, make_dist: MakeDist
) -> None:
    # `pip install --prefix ~` makes the home directory a prefix; pipx's venvs live in
    # ~/.local/share/pipx, under the user base ~/.local.
    home = tmp_path / "home"
    make_dist(home / "lib" / "python3.11" / "site-packages", "prefixed", "1.0")
    make_dist(home / ".local" / "lib" / "python3.11" / "site-packages", "user-installed", "1.0")
    tool = home / ".local" / "share" / "pipx" / "venvs" / "black"
    make_dist(tool / "lib" / "python3.12" / "site-packages", "black", "24.1.0")
    (tool / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "tether", "scan", "--root", str(home), "--format", "json"],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "HOME": str(home), "PYTHONUSERBASE": ""},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    kinds = {e["prefix"]: e["kind"] for e in json.loads(proc.stdout)["environments"]}
    assert kinds == {str(home): "base", str(home / ".local"): "user", str(tool): "venv"}


def test_default_roots(tmp_path: Path, make_dist: MakeDist) -> None:
    home = tmp_path / "home"
    pyenv = home / ".pyenv" / "versions" / "3.11.7"
    make_dist(pyenv / "lib" / "python3.11" / "site-packages", "pip", "23.2.1")
    poetry = home / ".cache" / "pypoetry" / "virtualenvs" / "app-AbCd1234-py3.12"
    make_dist(poetry / "lib" / "python3.12" / "site-packages", "flask", "3.0.0")
    (poetry / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n")
    cached = home / ".cache" / "uv" / "builds-v0" / "x"  # a build environment: never walked
    make_dist(cached / "lib" / "python3.12" / "site-packages", "setuptools", "69.0.0")
    (cached / "pyvenv.cfg").write_text("home = /usr/bin\n")
    conda = tmp_path / "opt" / "conda" / "envs" / "ml"
    make_dist(conda / "lib" / "python3.11" / "site-packages", "numpy", "1.26.0")
    conda_record(conda / "conda-meta", "python", "3.11.7", "h1", ["bin/python3.11"])
    (home / ".conda").mkdir()
    (home / ".conda" / "environments.txt").write_text(f"{conda}\n/gone/env\n")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYENV", "XDG_", "PIPX", "UV_"))}
    environment.update(HOME=str(home))
    for variable in ("WORKON_HOME", "POETRY_VIRTUALENVS_PATH", "PYTHONUSERBASE", "VIRTUAL_ENV"):
        environment.pop(variable, None)
    proc = subprocess.run(
        [sys.executable, "-m", "tether", "scan", "--format", "json"],
        capture_output=True, text=True, timeout=120, check=False, env=environment,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    found = {
        e["prefix"]: e["kind"] for e in document["environments"] if e["prefix"].startswith(str(tmp_path))
    }
    assert found == {str(pyenv): "base", str(poetry): "venv", str(conda): "conda"}
    assert str(home / ".cache" / "pypoetry" / "virtualenvs") in document["roots"]
    assert str(home / ".pyenv") not in document["roots"]  # walked from the home directory


def test_fifos_where_files_are_expected_do_not_hang(tmp_path: Path, make_dist: MakeDist) -> None:
    prefix = tmp_path / "conda"
    site = prefix / "lib" / "python3.11" / "site-packages"
    info = make_dist(site, "six", "1.16.0")
    (info / "INSTALLER").unlink()
    os.mkfifo(info / "INSTALLER")
    os.mkfifo(info / "RECORD")
    os.mkfifo(site / "hook.pth")
    os.mkfifo(site / "sitecustomize.py")
    (prefix / "conda-meta").mkdir()
    os.mkfifo(prefix / "conda-meta" / "six-1.16.0-0.json")
    for command in ("scan", "inspect", "files"):
        proc = subprocess.run(
            [sys.executable, "-m", "tether", command, "--root", str(tmp_path), "--format", "json"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["distributions"][0]["problem"].endswith("cannot read the RECORD (not a regular file)")


def test_a_prefix_whose_lib_is_a_link_is_read_once_under_its_real_name(
    tmp_path: Path, make_dist: MakeDist
) -> None:
    # Merged /usr: /lib links to usr/lib, so / looks like a prefix too, and a venv made
    # with /bin/python3 says home = /bin. Both name the one interpreter of /usr.
    usr = tmp_path / "usr"
    make_dist(usr / "lib" / "python3.11" / "site-packages", "pip", "23.0.1")
    (usr / "bin").mkdir()
    (tmp_path / "lib").symlink_to("usr/lib")
    (tmp_path / "bin").symlink_to("usr/bin")
    venv = tmp_path / "venv"
    (venv / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(
        f"home = {tmp_path / 'bin'}\ninclude-system-site-packages = true\nversion = 3.11.2\n"
    )
    for inventory in (discover([str(tmp_path)]), discover(python=str(venv))):
        assert [e.prefix for e in inventory.environments] == [str(usr), str(venv)]
        (env,) = [e for e in inventory.environments if e.prefix == str(venv)]
        assert [(d.name, d.version) for d in inventory.visible(env)] == [("pip", "23.0.1")]


def test_conda_records_too_large_or_of_the_wrong_shape_are_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tether.inventory.discover.MAX_BYTES", 1 << 20)
    env = tmp_path / "env"
    (env / "lib" / "python3.12" / "site-packages").mkdir(parents=True)
    conda_record(env / "conda-meta", "python", "3.12.1", "h0", [])
    # A real record, only larger than the limit: its reason is its size, not bad JSON.
    conda_record(env / "conda-meta", "big", "1.0", "h0", [f"lib/f{i}" for i in range(20000)])
    (env / "conda-meta" / "nulls.json").write_text('{"name": null, "version": {"x": 1}}')
    (only,) = discover([str(tmp_path)]).environments
    assert [c.name for c in only.conda_packages] == ["python"]
    meta = env / "conda-meta"
    assert only.problems == (
        f"{meta / 'big-1.0-h0.json'}: not read (larger than 1 MiB)",
        f"{meta / 'nulls.json'}: not a conda record (TypeError: 'name' and 'version' must be strings)",
    )
