"""tether purge: exactly a distribution's RECORD, all or nothing, never pip unasked."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.helpers import MakeDistVenv, run, site_packages, tether
from tests.integrity.helpers import Install, target_of
from tether.errors import PurgeError
from tether.installed import scan
from tether.integrity.purge import execute, plan


def listing(root: Path) -> dict[str, str]:
    """Every entry under *root*: a file's sha256, a link's target, or "dir"."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            rel = str(path.relative_to(root))
            if path.is_symlink():
                found[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[rel] = "dir"
            else:
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.mark.flows
def test_acceptance_purge_invalid_dry_run_then_yes(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    py = venv / "bin/python"
    run(py, "-m", "pip", "install", "-q", "idna", "six", "certifi")
    idna = run(py, "-c", "import importlib.metadata as m; print(m.version('idna'))").stdout.strip()
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"idna=={idna}\n")
    before = listing(venv)

    dry = tether("purge", "-p", venv, "--lock", lock, "--invalid")
    assert dry.returncode == 1, dry.stderr
    assert [line.split()[:3] for line in dry.stdout.splitlines()[:2]] == [
        ["would", "remove", "certifi"],
        ["would", "remove", "six"],
    ]
    assert listing(venv) == before

    done = tether("purge", "-p", venv, "--lock", lock, "--invalid", "--yes", "--format", "json")
    assert done.returncode == 0, done.stderr
    removed = json.loads(done.stdout)["removed"]
    assert sorted(r["name"] for r in removed) == ["certifi", "six"]
    assert tether("validate", "-p", venv, "--lock", lock).returncode == 0
    run(py, "-m", "pip", "--version")
    assert "idna" in run(venv / "bin/pip", "list").stdout

    # Nothing outside the removed packages' RECORD (and their byte code, their
    # .dist-info, the directories left empty) changed.
    after = listing(venv)
    gone = set(before) - set(after)
    assert set(after) - set(before) == set()
    assert all(after[p] == before[p] for p in after)
    paths = {str(Path(p).relative_to(venv)) for r in removed for p in r["files"]}
    metadata = {str(Path(r["files"][-1]).relative_to(venv)) for r in removed}
    assert paths <= gone
    for path in gone - paths:
        inside_metadata = any(path.startswith(m + "/") for m in metadata)
        emptied_dir = before[path] == "dir" and any(p.startswith(path + "/") for p in paths)
        assert inside_metadata or emptied_dir, path


def test_pip_and_tether_only_when_named_exactly(dist_venv: MakeDistVenv, install: Install) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "pip", {"pip/__init__.py": b""}, version="25.1")
    install(site, "tether", {"tether/__init__.py": b""}, version="0.1.0")
    install(site, "pipx-helper", {"pipx_helper/__init__.py": b""})
    proc = tether("purge", "-p", venv, "--pattern", "p*", "--pattern", "t*")
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "would remove pipx-helper 1.0 (matches p*): 1 file and "
        + str((site / "pipx-helper-1.0.dist-info").relative_to(venv)),
        "kept pip 25.1: pip is only removed when named exactly (--pattern pip)",
        "kept tether 0.1.0: tether is only removed when named exactly (--pattern tether)",
        f"dry run: nothing was removed from {venv}/bin/python; --yes removes the above",
    ]
    assert tether("purge", "-p", venv, "--pattern", "PIP", "--yes").returncode == 0
    assert not (site / "pip").exists()
    assert (site / "tether").exists()


def test_neither_invalid_nor_pattern_is_a_usage_error(dist_venv: MakeDistVenv) -> None:
    proc = tether("purge", "-p", dist_venv({}))
    assert proc.returncode == 2
    assert "say what to remove: --invalid, --pattern GLOB, or both" in proc.stderr


@pytest.mark.parametrize(
    "row",
    [
        pytest.param("../" * 40 + "etc/passwd,,", id="escape"),
        pytest.param("/etc/passwd,,", id="absolute"),
        pytest.param("../../../../outside.txt,,", id="beside-the-prefix"),
    ],
)
def test_a_record_naming_a_path_outside_is_refused_whole(
    dist_venv: MakeDistVenv, install: Install, tmp_path: Path, row: str
) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    (tmp_path / "outside.txt").write_text("mine")
    install(site, "good", {"good/__init__.py": b""})
    install(site, "evil", {"evil/__init__.py": b""}, extra_rows=(row,))
    before = listing(tmp_path)
    proc = tether("purge", "-p", venv, "--pattern", "*", "--yes")
    assert proc.returncode == 2
    assert "evil-1.0.dist-info/RECORD: the row" in proc.stderr
    assert "outside the environment" in proc.stderr
    assert proc.stderr.rstrip().endswith("nothing removed")
    assert listing(tmp_path) == before


def test_a_link_to_a_directory_outside_is_refused(
    dist_venv: MakeDistVenv, install: Install, tmp_path: Path
) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    install(site, "evil", {"evil/__init__.py": b""}, extra_rows=("evil/linked/keep.txt,,",))
    (site / "evil/linked").symlink_to(outside)
    with pytest.raises(PurgeError, match="outside the environment"):
        plan(target_of(venv), dict.fromkeys(scan([str(site)]).dists, "test"))
    assert (outside / "keep.txt").read_text() == "mine"


def test_a_recorded_link_goes_as_a_link(dist_venv: MakeDistVenv, install: Install, tmp_path: Path) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    target_file = tmp_path / "target.txt"
    target_file.write_text("mine")
    install(site, "linky", {"linky/__init__.py": b""}, extra_rows=("linky/link.txt,,",))
    (site / "linky/link.txt").symlink_to(target_file)
    assert tether("purge", "-p", venv, "--pattern", "linky", "--yes").returncode == 0
    assert not (site / "linky").exists()
    assert target_file.read_text() == "mine"


def test_a_record_naming_a_directory_never_removes_it_whole(
    dist_venv: MakeDistVenv, install: Install
) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "shared", {"shared/__init__.py": b""}, extra_rows=("shared/,,", ".,,", "../,,"))
    (site / "shared/users_file.txt").write_text("mine")
    install(site, "other", {"other/__init__.py": b""})
    assert tether("purge", "-p", venv, "--pattern", "shared", "--yes").returncode == 0
    assert sorted(p.name for p in (site / "shared").iterdir()) == ["users_file.txt"]
    assert (site / "other/__init__.py").exists()
    assert not (site / "shared-1.0.dist-info").exists()


def test_a_missing_record_is_refused(dist_venv: MakeDistVenv, install: Install) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    info = install(site, "norecord", {"norecord/__init__.py": b""})
    (info / "RECORD").unlink()
    proc = tether("purge", "-p", venv, "--pattern", "norecord", "--yes")
    assert proc.returncode == 2
    assert proc.stderr == (
        f"tether: error: {info}/RECORD: cannot read the RECORD (No such file or directory); nothing removed\n"
    )
    assert (site / "norecord/__init__.py").exists()


def test_byte_code_and_emptied_directories_go(dist_venv: MakeDistVenv, install: Install) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "deep", {"deep/a/b/__init__.py": b"", "deep/__init__.py": b""})
    (site / "deep/a/b/__pycache__").mkdir()
    (site / "deep/a/b/__pycache__/__init__.cpython-311.pyc").write_bytes(b"x")
    assert tether("purge", "-p", venv, "--pattern", "deep", "--yes").returncode == 0
    assert sorted(os.listdir(site)) == sorted(e for e in os.listdir(site) if not e.startswith("deep"))
    assert not (site / "deep").exists()
    assert [e for e in os.listdir(site) if e.startswith(".tether-purge")] == []


def test_a_failed_move_puts_everything_back(dist_venv: MakeDistVenv, install: Install) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "first", {"first/__init__.py": b"1", "first/x.py": b"x"})
    install(site, "second", {"second/__init__.py": b"2", "second/y.py": b"y"})
    before = listing(venv)
    planned = plan(target_of(venv), dict.fromkeys(scan([str(site)]).dists, "test"))
    # The plan's last file vanishes before it is acted on: that move fails.
    last = planned.removals[-1].files[-1]
    os.rename(last, last + ".aside")
    with pytest.raises(
        PurgeError, match=r"cannot move .*y\.py aside \(No such file or directory\); nothing removed"
    ):
        execute(planned)
    os.rename(last + ".aside", last)
    assert listing(venv) == before


def test_a_package_of_the_base_installation_is_kept(tmp_path: Path, install: Install) -> None:
    # A venv without pip of its own that sees the base installation's site-packages, which
    # holds pip (ensurepip puts it in every base this suite runs on): what is there is not
    # the venv's to remove, even when named exactly. A dry run only.
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", venv)
    install(site_packages(venv), "pytest-local", {"pytest_local/__init__.py": b""})
    proc = tether("purge", "-p", venv, "--pattern", "pytest*", "--pattern", "pip", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["dry_run"] is True
    assert [r["name"] for r in report["removed"]] == ["pytest-local"]
    kept = {s["name"]: s["reason"] for s in report["skipped"]}
    assert kept["pip"].endswith("outside the environment")


def test_a_row_with_a_nul_byte_is_refused(dist_venv: MakeDistVenv, install: Install) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "demo", {"demo/__init__.py": b""}, extra_rows=('"de\x00mo/x.py",,',))
    proc = tether("purge", "-p", venv, "--pattern", "demo", "--yes")
    assert proc.returncode == 2
    assert proc.stderr.endswith("RECORD: the row 'de\\x00mo/x.py' has a NUL byte; nothing removed\n")
    assert (site / "demo/__init__.py").exists()


@pytest.mark.parametrize(
    "row",
    [
        pytest.param("../../../bin/python,,", id="interpreter"),
        pytest.param("../../../bin/python3,,", id="interpreter-alias"),
        pytest.param("../../../pyvenv.cfg,,", id="pyvenv-cfg"),
        pytest.param("../../../bin/activate,,", id="activate"),
        pytest.param("../../../lib64,,", id="lib64"),
    ],
)
def test_a_record_naming_the_environment_itself_is_refused_whole(
    dist_venv: MakeDistVenv, install: Install, row: str
) -> None:
    # Inside the prefix, so not "outside the environment": but removing the interpreter or
    # pyvenv.cfg is removing the environment, which no distribution installed.
    venv = dist_venv({})
    site = site_packages(venv)
    if not (venv / "lib64").exists():
        (venv / "lib64").symlink_to("lib")  # as venv makes it on 64-bit Linux
    install(site, "evil", {"evil/__init__.py": b""}, extra_rows=(row,))
    before = listing(venv)
    proc = tether("purge", "-p", venv, "--pattern", "evil", "--yes")
    assert proc.returncode == 2, proc.stdout
    assert "evil-1.0.dist-info/RECORD: the row" in proc.stderr
    assert "the environment's own" in proc.stderr
    assert proc.stderr.rstrip().endswith("nothing removed")
    assert listing(venv) == before


def test_a_file_another_package_records_too_stays(dist_venv: MakeDistVenv, install: Install) -> None:
    # Two distributions claim one file (a namespace package's shared __init__.py, or a
    # hostile RECORD naming a neighbour's module): removing one must not break the other.
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "six", {"six.py": b"six = 1\n"})
    (site / "__pycache__").mkdir()
    (site / "__pycache__/six.cpython-311.pyc").write_bytes(b"pyc")
    install(site, "ns-a", {"ns/__init__.py": b"", "ns/a.py": b"a"})
    install(site, "ns-b", {"ns/__init__.py": b"", "ns/b.py": b"b"})
    install(site, "greedy", {"greedy.py": b""}, extra_rows=("six.py,,", "six-1.0.dist-info/METADATA,,"))
    proc = tether(
        "purge", "-p", venv, "--pattern", "greedy", "--pattern", "ns-a", "--yes", "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr
    kept = {r["name"]: r["kept"] for r in json.loads(proc.stdout)["removed"]}
    assert kept == {
        "greedy": [str(site / "six.py"), str(site / "six-1.0.dist-info/METADATA")],
        "ns-a": [str(site / "ns/__init__.py")],
    }
    assert (site / "six.py").read_bytes() == b"six = 1\n"
    assert (site / "__pycache__/six.cpython-311.pyc").exists()
    assert (site / "six-1.0.dist-info/METADATA").exists()
    assert sorted(p.name for p in (site / "ns").iterdir()) == ["__init__.py", "b.py"]
    assert not (site / "greedy.py").exists()
    assert tether("verify", "-p", venv).returncode == 0


def installation(root: Path, *, managed: bool) -> Path:
    """A Python installation of its own at *root* (not a venv): a copy of this
    interpreter's binary and its standard library linked entry by entry, so that its
    prefix is *root*; marked EXTERNALLY-MANAGED (PEP 668) as a distribution's Python is
    when *managed*. Its python."""
    import sysconfig

    stdlib = Path(sysconfig.get_path("stdlib"))
    lib = root / "lib" / stdlib.name
    lib.mkdir(parents=True)
    for entry in stdlib.iterdir():
        if entry.name not in {"EXTERNALLY-MANAGED", "site-packages", "dist-packages"}:
            (lib / entry.name).symlink_to(entry)
    if managed:
        (lib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\nError=use apt\n")
    (root / "bin").mkdir()
    python = root / "bin/python3"
    python.write_bytes(Path(os.path.realpath(sys.executable)).read_bytes())
    python.chmod(0o755)
    return python


@pytest.mark.parametrize("managed", [True, False], ids=["externally-managed", "own-installation"])
def test_an_installation_that_is_not_a_venv(tmp_path: Path, install: Install, managed: bool) -> None:
    # A distribution's Python (PEP 668) is the system package manager's: pip refuses to
    # touch it, and so does purge. Another installation (a pyenv build) is the user's, and
    # the report says first that this is no virtual environment.
    python = installation(tmp_path / "py", managed=managed)
    site = Path(run(python, "-c", "import site; print(site.getsitepackages()[0])").stdout.strip())
    install(site, "victim", {"victim/__init__.py": b""})
    before = listing(tmp_path / "py")
    proc = tether("purge", "-p", python, "--pattern", "victim", "--yes")
    if managed:
        assert proc.returncode == 2, proc.stdout
        assert proc.stderr.startswith(f"tether: error: {python} is not a virtual environment")
        assert "EXTERNALLY-MANAGED, PEP 668" in proc.stderr
        assert proc.stderr.endswith("nothing removed\n")
        assert listing(tmp_path / "py") == before
    else:
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines()[0] == (
            f"note: {python} is not a virtual environment: this is its installation, {tmp_path / 'py'}"
        )
        assert not (site / "victim").exists()


def test_a_staging_directory_left_by_a_killed_purge_is_refused(
    dist_venv: MakeDistVenv, install: Install
) -> None:
    # A purge killed between its moves leaves files only in .tether-purge-*: a second
    # purge must not go on as if the environment were whole.
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "demo", {"demo/__init__.py": b""})
    stage = site / ".tether-purge-abc123"
    stage.mkdir()
    (stage / "MANIFEST").write_text(json.dumps([str(site / "demo/gone.py")]))
    (stage / "0").write_text("staged")
    before = listing(venv)
    for yes in ((), ("--yes",)):
        proc = tether("purge", "-p", venv, "--pattern", "demo", *yes)
        assert proc.returncode == 2, proc.stdout
        assert proc.stderr.startswith(f"tether: error: {stage}: left by a purge that was interrupted")
        assert proc.stderr.endswith("nothing removed\n")
    assert listing(venv) == before


def test_a_file_that_became_a_directory_is_never_removed_whole(
    dist_venv: MakeDistVenv, install: Install
) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "demo", {"demo/__init__.py": b"", "demo/data.txt": b"x"})
    planned = plan(target_of(venv), dict.fromkeys(scan([str(site)]).dists, "test"))
    # Between the plan and the act, a recorded file is replaced by a directory of the user's.
    (site / "demo/data.txt").unlink()
    (site / "demo/data.txt").mkdir()
    (site / "demo/data.txt/mine.txt").write_text("mine")
    before = listing(venv)
    with pytest.raises(
        PurgeError, match=r"data\.txt aside \(a directory now, not the file planned\); nothing"
    ):
        execute(planned)
    assert listing(venv) == before


def test_a_neighbours_file_named_through_a_link_inside_stays(
    dist_venv: MakeDistVenv, install: Install
) -> None:
    # A venv's lib64 is a link to lib: "../../../lib64/.../six.py" is six's six.py, under
    # another spelling, and must be kept as surely as "six.py" is.
    venv = dist_venv({})
    site = site_packages(venv)
    (venv / "alias").symlink_to("lib")
    install(site, "six", {"six.py": b"six = 1\n"})
    spelled = os.path.relpath(venv / "alias" / site.relative_to(venv / "lib") / "six.py", site)
    install(site, "greedy", {"greedy.py": b""}, extra_rows=(f"{spelled},,",))
    assert tether("purge", "-p", venv, "--pattern", "greedy", "--yes").returncode == 0
    assert (site / "six.py").read_bytes() == b"six = 1\n"
    assert not (site / "greedy.py").exists()


@pytest.mark.parametrize("row", ["_tether_hook.pth,,", "_tether_hook/__init__.py,,"], ids=["pth", "package"])
def test_a_record_naming_the_start_up_check_is_refused_whole(
    dist_venv: MakeDistVenv, install: Install, tmp_path: Path, row: str
) -> None:
    # Removing the .pth site-install wrote would switch the lock check off unnoticed.
    venv = dist_venv({})
    site = site_packages(venv)
    lock = tmp_path / "requirements.txt"
    lock.write_text("")
    installed = tether("site-install", "-p", venv, "--lock", lock, "--superset")
    assert installed.returncode == 0, installed.stderr
    assert (site / row.split(",", maxsplit=1)[0]).is_file()
    install(site, "evil", {"evil/__init__.py": b""}, extra_rows=(row,))
    before = listing(venv)
    proc = tether("purge", "-p", venv, "--pattern", "evil", "--yes")
    assert proc.returncode == 2, proc.stdout
    assert "tether's start-up check" in proc.stderr
    assert listing(venv) == before


def test_an_interruption_that_is_no_os_error_puts_everything_back(
    dist_venv: MakeDistVenv, install: Install
) -> None:
    # Ctrl-C (KeyboardInterrupt), or any exception other than OSError, between two moves
    # must not leave the files moved so far in the staging directory. A path that cannot
    # be encoded for the file system raises UnicodeEncodeError at its move, deterministically.
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "demo", {"demo/__init__.py": b"", "demo/x.py": b"x"})
    planned = plan(target_of(venv), dict.fromkeys(scan([str(site)]).dists, "test"))
    removal = planned.removals[0]
    hostile = replace(removal, files=(*removal.files, str(site / "demo/\ud800.py")))
    before = listing(venv)
    with pytest.raises(UnicodeEncodeError):
        execute(replace(planned, removals=(hostile,)))
    assert listing(venv) == before


def test_a_row_with_a_nul_byte_in_a_package_that_stays(dist_venv: MakeDistVenv, install: Install) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "demo", {"demo/__init__.py": b""})
    install(site, "other", {"other/__init__.py": b""}, extra_rows=('"ot\x00her/x.py",,',))
    proc = tether("purge", "-p", venv, "--pattern", "demo", "--yes")
    assert proc.returncode == 0, proc.stderr
    assert not (site / "demo").exists()
    assert (site / "other/__init__.py").exists()


def test_a_staging_directory_that_cannot_be_deleted_is_said(
    dist_venv: MakeDistVenv, install: Install, tmp_path: Path
) -> None:
    # An immutable file in a .dist-info: the directory moves aside, the file cannot be
    # deleted. The package is gone from the environment; the leftover must be named, not
    # left silently to block every later purge.
    venv = dist_venv({})
    site = site_packages(venv)
    info = install(site, "demo", {"demo/__init__.py": b""})
    probe = tmp_path / "probe"
    probe.write_text("")
    if shutil.which("chattr") is None or run("chattr", "+i", probe, check=False).returncode != 0:
        pytest.skip("no immutable files here (chattr +i needs root and a file system that has them)")
    run("chattr", "-i", probe)
    run("chattr", "+i", info / "METADATA")
    try:
        proc = tether("purge", "-p", venv, "--pattern", "demo", "--yes")
        stages = sorted(site.glob(".tether-purge-*"))
        frozen = [p for p in site.rglob("METADATA") if p.parent.parent in stages]
    finally:
        for path in [info / "METADATA", *site.glob(".tether-purge-*/*/METADATA")]:
            run("chattr", "-i", path, check=False)
    assert proc.returncode == 0, proc.stderr
    assert not (site / "demo").exists()
    assert not info.exists()
    assert len(stages) == 1
    assert frozen
    assert proc.stderr.startswith(f"tether: warning: {stages[0]}: the packages are removed, but this staging")
    assert "delete it by hand" in proc.stderr


def test_what_an_installed_tether_needs_stays_unless_named(dist_venv: MakeDistVenv, install: Install) -> None:
    # tether in the environment needs dep-a, which needs dep-c[x], whose extra needs dep-d;
    # dep-b is needed only on Python 2. Removing "*" must leave tether able to start.
    venv = dist_venv({})
    site = site_packages(venv)
    requires = {
        "tether": ["dep-a", 'dep-b; python_version < "3"'],
        "dep-a": ["dep-c[x]"],
        "dep-c": ['dep-d; extra == "x"'],
    }
    for name in ("tether", "dep-a", "dep-b", "dep-c", "dep-d", "other"):
        info = install(site, name, {f"{name.replace('-', '_')}/__init__.py": b""})
        with (info / "METADATA").open("a") as f:
            f.writelines(f"Requires-Dist: {r}\n" for r in requires.get(name, []))
    proc = tether("purge", "-p", venv, "--pattern", "*", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert sorted(r["name"] for r in report["removed"]) == ["dep-b", "other"]
    kept = {s["name"]: s["reason"] for s in report["skipped"]}
    assert sorted(kept) == ["dep-a", "dep-c", "dep-d", "tether"]
    assert kept["dep-d"] == "tether, installed here, needs dep-d; only removed when named exactly"
    # Named exactly, it goes (as pip and tether do).
    proc = tether("purge", "-p", venv, "--pattern", "dep-d", "--format", "json")
    assert [r["name"] for r in json.loads(proc.stdout)["removed"]] == ["dep-d"]
