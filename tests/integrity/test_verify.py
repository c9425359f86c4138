"""tether verify: real environments, files changed behind the installer's back."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from tests.helpers import MakeDistVenv, run, site_packages, tether
from tests.integrity.helpers import Install, record_row, target_of
from tether.integrity.verify import canonical_pattern, verify


def findings(venv: Path, **options: bool) -> list[tuple[str, str, str]]:
    result = verify(target_of(venv), **options)  # type: ignore[arg-type]
    return [(f.name, f.status, os.path.relpath(f.path, venv)) for f in result.findings]


@pytest.mark.flows
def test_acceptance_an_edit_a_deletion_and_a_stray_file_exactly(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin/python", "-m", "pip", "install", "-q", "idna", "six")
    untouched = tether("verify", "-p", venv)
    assert untouched.returncode == 0, untouched.stdout + untouched.stderr
    assert untouched.stdout.startswith("verified: ")

    package = site_packages(venv) / "idna"
    edited = package / "core.py"
    data = bytearray(edited.read_bytes())
    data[100] ^= 1  # one byte, same size: only the hash can tell
    edited.write_bytes(bytes(data))
    (package / "codec.py").unlink()
    (package / "planted.py").write_text("import os\n")

    proc = tether("verify", "-p", venv, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    got = sorted((f["name"], f["status"], f["path"]) for f in report["findings"])
    assert got == [
        ("idna", "missing-file", str(package / "codec.py")),
        ("idna", "modified-file", str(package / "core.py")),
        ("idna", "unrecorded-file", str(package / "planted.py")),
    ]
    assert report["summary"] == {
        "modified-file": 1,
        "missing-file": 1,
        "unrecorded-file": 1,
        "outside-file": 0,
        "unverifiable": 0,
    }
    assert report["repair"].endswith(
        f"-m pip install --force-reinstall --no-deps idna=={report['findings'][0]['version']}"
    )
    # The repair, run as printed, repairs what it can (the stray file is the user's to remove).
    run("sh", "-c", report["repair"])
    (package / "planted.py").unlink()
    assert tether("verify", "-p", venv).returncode == 0


def test_a_same_size_edit_is_seen_by_the_hash_not_by_fast(dist_venv: MakeDistVenv, install: Install) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "demo", {"demo/__init__.py": b"x = 1\n", "demo/util.py": b"y = 2\n"})
    assert findings(venv) == []
    (site / "demo/util.py").write_bytes(b"y = 3\n")
    assert findings(venv, fast=True) == []
    assert findings(venv) == [
        ("demo", "modified-file", "lib/" + str((site / "demo/util.py").relative_to(venv / "lib")))
    ]
    (site / "demo/util.py").write_bytes(b"y = 300\n")
    result = verify(target_of(venv), fast=True)
    assert [(f.status, f.detail) for f in result.findings] == [("modified-file", "8 bytes, RECORD says 6")]
    assert result.bytes == 0


def test_byte_code_and_the_record_itself_are_not_findings(dist_venv: MakeDistVenv, install: Install) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    # pip records the byte code it compiles without a hash; Python writes more at import.
    install(
        site, "demo", {"demo/__init__.py": b""}, extra_rows=("demo/__pycache__/__init__.cpython-311.pyc,,",)
    )
    (site / "demo/__pycache__").mkdir()
    (site / "demo/__pycache__/other.cpython-311.pyc").write_bytes(b"junk")
    (site / "demo-1.0.dist-info/RECORD.jws").write_text("{}")
    assert findings(venv) == []


def test_a_stray_pyc_beside_the_sources_is_unrecorded(dist_venv: MakeDistVenv, install: Install) -> None:
    # Python imports demo/evil.pyc with no demo/evil.py at all, and never writes one there:
    # dropping it is how code is planted without touching a recorded file.
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "demo", {"demo/__init__.py": b""})
    run(
        venv / "bin/python",
        "-c",
        "import py_compile, sys; py_compile.compile(sys.argv[1], sys.argv[2])",
        str(site / "demo/__init__.py"),
        str(site / "demo/evil.pyc"),
    )
    run(venv / "bin/python", "-c", "import demo.evil")  # importable, sourceless
    assert findings(venv) == [("demo", "unrecorded-file", str((site / "demo/evil.pyc").relative_to(venv)))]


def assert_one_extra_row(dist_venv: MakeDistVenv, install: Install, row: str, kind: str, where: str) -> None:
    """A dist with one more RECORD *row* (beside a real file) gives one finding: *kind* at *where*."""
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "demo", {"demo/__init__.py": b""}, extra_rows=(row,))
    assert findings(venv) == [("demo", kind, str((site / where).relative_to(venv)))]


def test_an_unhashed_row_is_checked_for_existence(dist_venv: MakeDistVenv, install: Install) -> None:
    assert_one_extra_row(dist_venv, install, "demo/data.txt,,", "missing-file", "demo/data.txt")


@pytest.mark.parametrize(
    ("row", "detail"),
    [
        pytest.param("../" * 40 + "etc/passwd,sha256=AAAA,1", "is outside the environment", id="escape"),
        pytest.param("/etc/hostname,sha256=AAAA,1", "is outside the environment", id="absolute"),
    ],
)
def test_a_row_outside_the_environment_is_reported_and_never_read(
    dist_venv: MakeDistVenv, install: Install, row: str, detail: str
) -> None:
    venv = dist_venv({})
    install(site_packages(venv), "demo", {"demo/__init__.py": b""}, extra_rows=(row,))
    result = verify(target_of(venv))
    assert [(f.status, detail in f.detail) for f in result.findings] == [("outside-file", True)]
    assert result.findings[0].path.startswith("/etc/")


def test_a_link_out_of_a_package_is_outside(
    dist_venv: MakeDistVenv, install: Install, tmp_path: Path
) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.py").write_text("s = 1\n")
    install(
        site, "demo", {"demo/__init__.py": b""}, extra_rows=(record_row("demo/linked/secret.py", b"s = 1\n"),)
    )
    (site / "demo/linked").symlink_to(outside)
    # The link itself is in no RECORD; what the row names through it is outside.
    assert [f[1:] for f in findings(venv)] == [
        ("unrecorded-file", str((site / "demo/linked").relative_to(venv))),
        ("outside-file", str((site / "demo/linked/secret.py").relative_to(venv))),
    ]


def test_what_replaced_a_recorded_file_is_named(
    dist_venv: MakeDistVenv, install: Install, tmp_path: Path
) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "demo", {"demo/__init__.py": b"", "demo/a.py": b"a", "demo/b.py": b"b", "demo/c.py": b"c"})
    (site / "demo/a.py").unlink()
    (site / "demo/a.py").symlink_to(tmp_path)
    (site / "demo/b.py").unlink()
    (site / "demo/b.py").mkdir()
    (site / "demo/c.py").unlink()
    os.mkfifo(site / "demo/c.py")  # would block a plain open() forever
    result = verify(target_of(venv))
    assert [(os.path.basename(f.path), f.status, f.detail) for f in result.findings] == [
        ("a.py", "modified-file", "a symbolic link where RECORD lists a file"),
        ("b.py", "modified-file", "a directory where RECORD lists a file"),
        ("c.py", "modified-file", "a special file where RECORD lists a file"),
    ]


def test_a_stray_link_in_a_package_is_unrecorded(
    dist_venv: MakeDistVenv, install: Install, tmp_path: Path
) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "demo", {"demo/__init__.py": b""})
    (site / "demo/sub").symlink_to(tmp_path)
    (site / "demo/x.py").symlink_to("/etc/hostname")
    assert sorted(f[2].rsplit("/", 1)[1] for f in findings(venv)) == ["sub", "x.py"]


def test_a_record_row_naming_a_directory(dist_venv: MakeDistVenv, install: Install) -> None:
    assert_one_extra_row(dist_venv, install, "demo/,,", "modified-file", "demo")


@pytest.mark.parametrize(
    ("record", "detail"),
    [
        pytest.param(None, "cannot read the RECORD (No such file or directory)", id="missing"),
        pytest.param(
            b"demo/__init__.py,md5sum=abc,0\n", "row 1: invalid hash algorithm 'md5sum'", id="bad-hash"
        ),
        pytest.param(b"demo/__init__.py\n", "row index 0", id="one-field"),
        pytest.param(b"\xff\xfe\n", "not UTF-8 (byte 0)", id="not-utf8"),
    ],
)
def test_a_distribution_without_a_usable_record_is_unverifiable(
    dist_venv: MakeDistVenv, install: Install, record: bytes | None, detail: str
) -> None:
    venv = dist_venv({})
    info = install(site_packages(venv), "demo", {"demo/__init__.py": b""})
    if record is None:
        (info / "RECORD").unlink()
    else:
        (info / "RECORD").write_bytes(record)
    (result,) = verify(target_of(venv)).findings
    assert (result.status, result.path) == ("unverifiable", str(info))
    assert detail in result.detail


def test_a_legacy_egg_info_is_unverifiable(dist_venv: MakeDistVenv) -> None:
    venv = dist_venv({})
    egg = site_packages(venv) / "old-1.0.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.0\nName: old\nVersion: 1.0\n")
    assert findings(venv) == [("old", "unverifiable", str(egg.relative_to(venv)))]


def test_a_namespace_directory_shared_by_two_distributions(dist_venv: MakeDistVenv, install: Install) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "ns-a", {"ns/a/__init__.py": b"a"})
    install(site, "ns-b", {"ns/b/__init__.py": b"b"})
    (site / "ns/b/stray.py").write_text("")
    (site / "ns/top.py").write_text("")
    assert sorted(findings(venv)) == [
        ("ns-a", "unrecorded-file", str((site / "ns/top.py").relative_to(venv))),
        ("ns-b", "unrecorded-file", str((site / "ns/b/stray.py").relative_to(venv))),
    ]


def test_pattern_selects_by_normalized_name(dist_venv: MakeDistVenv, install: Install) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "Zope.Interface", {"zope/interface.py": b"z"})
    install(site, "other", {"other/__init__.py": b"o"})
    (site / "other/__init__.py").write_text("changed")
    assert canonical_pattern("Zope_*") == "zope-*"
    assert verify(target_of(venv), pattern="Zope_*").valid
    assert not verify(target_of(venv), pattern="o*").valid
    assert verify(target_of(venv), pattern="o*").distributions == 1


def test_cli_text_quiet_and_bad_jobs(dist_venv: MakeDistVenv, install: Install, tmp_path: Path) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "demo", {"demo/__init__.py": b""})
    assert tether("verify", "-p", venv, "-q").stdout == ""
    (site / "demo/__init__.py").write_text("x")
    proc = tether("verify", "-p", venv, "--jobs", "1")
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[1].split()[:3] == ["demo", "1.0", "modified-file"]
    # No pip in this venv: the repair is uv's.
    assert f"repair: uv pip install --python {venv}/bin/python --reinstall --no-deps demo==1.0" in proc.stdout
    out = tmp_path / "report.json"
    assert tether("verify", "-p", venv, "--format", "json", "-o", out).returncode == 1
    assert json.loads(out.read_text())["summary"]["modified-file"] == 1
    # -qq quiets the terminal; the file asked for is written whole, not emptied.
    proc = tether("verify", "-p", venv, "--format", "json", "-qq", "-o", out)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert json.loads(out.read_text())["summary"]["modified-file"] == 1
    bad = tether("verify", "-p", venv, "--jobs", "0")
    assert bad.returncode == 2
    assert "expected a number of threads from 1 to 256, got '0'" in bad.stderr


def test_file_statuses_are_one_vocabulary() -> None:
    from tether.integrity.verify import FILE_STATUSES
    from tether.report import FILE_STATUSES as REPORTED

    assert REPORTED == FILE_STATUSES


def test_validate_verify_files_is_never_answered_from_a_cache(
    dist_venv: MakeDistVenv, install: Install, tmp_path: Path
) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "demo", {"demo/__init__.py": b"x = 1\n"})
    lock = tmp_path / "requirements.txt"
    lock.write_text("demo==1.0\n")
    argv = ("validate", "-p", venv, "--lock", lock, "--format", "json")
    # Each run twice: the second of a plain validate is the cache's answer.
    for _ in range(2):
        assert tether(*argv).returncode == 0
        assert tether(*argv, "--verify-files").returncode == 0
    (site / "demo/__init__.py").write_text("x = 2\n")  # same size; no stamp the caches take moves
    assert tether(*argv).returncode == 0
    proc = tether(*argv, "--verify-files")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["records"] == [
        {
            "name": "demo",
            "status": "modified-file",
            "installed": "1.0",
            "expected": None,
            "sites": [str(site)],
            "detail": "demo/__init__.py: its sha256 differs from RECORD's",
        }
    ]
    assert report["summary"]["modified-file"] == 1
    assert report["repair"] == f"uv pip install --python {venv}/bin/python --reinstall --no-deps demo==1.0"
    assert "modified-file" not in json.loads(tether(*argv).stdout)["summary"]
    text = tether("validate", "-p", venv, "--lock", lock, "--verify-files")
    assert "drift: 1 modified-file" in text.stdout


def test_validate_verify_files_leaves_out_an_ignored_package(
    dist_venv: MakeDistVenv, install: Install, tmp_path: Path
) -> None:
    # --ignore NAME "neither checks nor reports" a package: its files neither.
    venv = dist_venv({})
    site = site_packages(venv)
    install(site, "Demo_Pkg", {"demo_pkg/__init__.py": b"x = 1\n"})
    install(site, "other", {"other/__init__.py": b"y = 1\n"})
    (site / "demo_pkg/__init__.py").write_text("x = 2\n")
    (site / "demo_pkg/added.py").write_text("")
    lock = tmp_path / "requirements.txt"
    lock.write_text("other==1.0\n")
    argv = ("validate", "-p", venv, "--lock", lock, "--verify-files", "--format", "json")
    proc = tether(*argv, "--ignore", "demo-pkg")
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout)["records"] == []
    report = json.loads(tether(*argv).stdout)
    assert {(r["name"], r["status"]) for r in report["records"]} == {
        ("demo-pkg", "unexpected"),
        ("demo-pkg", "modified-file"),
        ("demo-pkg", "unrecorded-file"),
    }


def test_a_row_with_a_nul_byte(dist_venv: MakeDistVenv, install: Install) -> None:
    venv = dist_venv({})
    site = site_packages(venv)
    install(
        site, "demo", {"demo/__init__.py": b""}, extra_rows=('"de\x00mo/x.py",,', '"demo/new\nline.py",,')
    )
    proc = tether("verify", "-p", venv)
    assert proc.returncode == 1
    assert "\x00" not in proc.stdout
    rows = [line.split("  ")[0:1] + line.split()[2:4] for line in proc.stdout.splitlines()[1:3]]
    assert rows == [
        ["demo", "missing-file", repr(str((site / "demo/new\nline.py").relative_to(venv)))],
        ["demo", "unverifiable", repr(str((site / "de\x00mo/x.py").relative_to(venv)))],
    ]


def test_a_padded_digest_means_the_same_digest(dist_venv: MakeDistVenv, install: Install) -> None:
    # RECORD digests are urlsafe base64 *without* padding; one written with its "=" names
    # the same bytes, so the untouched file is not "modified".
    venv = dist_venv({})
    site = site_packages(venv)
    (site / "padded").mkdir()
    (site / "padded/__init__.py").write_bytes(b"hi\n")
    row = record_row("padded/__init__.py", b"hi\n").replace(",3", "=,3")
    assert row.count("=,") == 1
    install(site, "padded", {}, extra_rows=(row,))
    assert findings(venv) == []
    (site / "padded/__init__.py").write_bytes(b"ho\n")
    assert [f[1] for f in findings(venv)] == ["modified-file"]


@pytest.mark.parametrize("algorithm", ["shake_128", "shake_256", "sha3_256", "md5"])
def test_every_algorithm_a_record_may_name_is_checked(
    dist_venv: MakeDistVenv, install: Install, algorithm: str
) -> None:
    # shake_* have no fixed length (hashlib's digest() wants one): the RECORD's says it.
    venv = dist_venv({})
    site = site_packages(venv)
    (site / "algo").mkdir()
    (site / "algo/__init__.py").write_bytes(b"hi\n")
    h = hashlib.new(algorithm, b"hi\n")
    digest = h.digest(20) if algorithm.startswith("shake") else h.digest()  # type: ignore[call-arg]
    value = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    install(site, "algo", {}, extra_rows=(f"algo/__init__.py,{algorithm}={value},3",))
    assert tether("verify", "-p", venv).returncode == 0
    (site / "algo/__init__.py").write_bytes(b"ho\n")
    proc = tether("verify", "-p", venv)
    assert proc.returncode == 1, proc.stderr
    assert f"its {algorithm} differs from RECORD's" in proc.stdout
