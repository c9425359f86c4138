"""``tether audit`` from the command line: online against a real OSV server on 127.0.0.1,
offline against an all.zip and a directory of the same real records, and a real venv and
its lock (the issue's acceptance 1 to 3)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import pytest

from tests.audit.osv_server import MALWARE_NAME, cached_answers, load_records, matches
from tests.helpers import clean_env, run, tool
from tether.cli import main

if TYPE_CHECKING:
    from pathlib import Path

    from tests.audit.osv_server import OsvServer
    from tests.helpers import MakeDist, MakeDistVenv

#: Installed at versions the records name as affected; certifi at a fixed version.
PINS = {"py": "1.9.0", "sqlparse": "0.4.1", "urllib3": "1.26.4", "idna": "3.6", "certifi": "2024.2.2"}
#: What the records' ranges imply for PINS (read from tests/data/osv/vulns).
EXPECTED = {
    ("idna", "PYSEC-2024-60"),
    ("py", "PYSEC-2020-92"),  # fixed 1.10.0
    ("py", "PYSEC-2022-42969"),  # last_affected 1.11.0
    ("sqlparse", "PYSEC-2021-333"),
    ("sqlparse", "PYSEC-2023-87"),
    ("urllib3", "PYSEC-2021-108"),
    ("urllib3", "PYSEC-2023-192"),  # events listed out of order
    ("urllib3", "PYSEC-2023-212"),
}


def audit(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["audit", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def audit_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, dict[str, Any]]:
    code, out, err = audit(capsys, *args, "--format", "json")
    assert err == "", err
    return code, json.loads(out)


def found(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["name"], f["id"]) for f in report["malicious"] + report["findings"]}


def packages(pins: dict[str, str]) -> list[str]:
    return [a for name, version in pins.items() for a in ("--package", f"{name}=={version}")]


def test_the_expected_findings_are_what_the_records_imply(records_dir: Path) -> None:
    # EXPECTED, written from reading the records, is also what the server's own matcher finds.
    records = load_records(records_dir)
    implied = {
        (n, i)
        for n, v in PINS.items()
        for i, r in records.items()
        if matches(r, n, v) and not r.get("withdrawn")
    }
    assert implied == EXPECTED


def test_named_packages_online_and_offline_say_the_same(
    capsys: pytest.CaptureFixture[str], osv: OsvServer, all_zip: Path, records_dir: Path, cache_dir: Path
) -> None:
    pins = {**PINS, MALWARE_NAME: "0.1.0", "redis": "2.10.0"}
    code, online = audit_json(capsys, *packages(pins), "--osv-url", osv.url)
    assert code == 1
    assert found(online) == EXPECTED | {(MALWARE_NAME, "MAL-2099-0001")}
    assert [f["id"] for f in online["malicious"]] == ["MAL-2099-0001"]
    for db in (all_zip, records_dir):
        code, offline = audit_json(capsys, *packages(pins), "--db", db)
        assert code == 1
        for key in ("malicious", "findings", "packages", "skipped", "summary"):
            assert offline[key] == online[key], key
    assert offline["source"] == {"kind": "db", "location": str(records_dir)}
    assert online["source"] == {"kind": "osv", "location": osv.url}


def test_the_json_contract(capsys: pytest.CaptureFixture[str], osv: OsvServer, cache_dir: Path) -> None:
    code, report = audit_json(
        capsys, "--package", "urllib3==1.26.4", "--osv-url", osv.url, "--fail-on", "high"
    )
    assert code == 1
    by_id = {f["id"]: f for f in report["findings"]}
    assert by_id["PYSEC-2023-192"] == {
        "name": "urllib3",
        "version": "1.26.4",
        "id": "PYSEC-2023-192",
        "aliases": ["CVE-2023-43804", "GHSA-v845-jxx5-vc9f"],
        "summary": by_id["PYSEC-2023-192"]["summary"],
        "fix": "1.26.17",
        "fixed_versions": ["1.26.17", "2.0.6"],
        "severity": {
            "kind": "CVSS_V3",
            "vector": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N",
            "score": 8.1,
            "band": "high",
        },
        "severities": [by_id["PYSEC-2023-192"]["severity"]],
        "references": by_id["PYSEC-2023-192"]["references"],
        "published": by_id["PYSEC-2023-192"]["published"],
        "modified": by_id["PYSEC-2023-192"]["modified"],
        "fails": True,
    }
    assert by_id["PYSEC-2023-192"]["summary"].startswith("urllib3 is a user-friendly HTTP client")
    assert by_id["PYSEC-2023-212"]["severity"]["band"] == "medium"
    assert by_id["PYSEC-2023-212"]["fails"] is False
    assert by_id["PYSEC-2021-108"]["severity"] is None  # no vector: unknown, which fails
    assert by_id["PYSEC-2021-108"]["fails"] is True
    assert report["summary"] == {
        "packages": 1,
        "skipped": 0,
        "vulnerable_packages": 1,
        "findings": 3,
        "malicious": 0,
        "ignored": 0,
        "by_band": {"none": 0, "low": 0, "medium": 1, "high": 1, "critical": 0, "unknown": 1},
    }
    assert (report["vulnerable"], report["failed"], report["fail_on"], report["schema"]) == (
        True,
        True,
        "high",
        1,
    )
    assert report["packages"] == [{"name": "urllib3", "version": "1.26.4", "purl": "pkg:pypi/urllib3@1.26.4"}]


def test_the_table_puts_malicious_packages_first_and_apart(
    capsys: pytest.CaptureFixture[str], all_zip: Path, cache_dir: Path
) -> None:
    code, out, err = audit(
        capsys, "--package", "idna==3.6", "--package", f"{MALWARE_NAME}==0.1.0", "--db", all_zip
    )
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0].startswith("MALICIOUS packages")
    assert lines[2].split()[:3] == [MALWARE_NAME, "0.1.0", "MAL-2099-0001"]
    assert lines[3] == ""
    assert lines[5].split()[:6] == ["idna", "3.6", "PYSEC-2024-60", "CVE-2024-3651", "high", "7.5"]
    assert (
        lines[-1]
        == f"found 1 known vulnerability and 1 malicious package in 2 of 2 packages (the advisories in {all_zip})"
    )


@pytest.mark.parametrize(
    ("args", "code"),
    [
        pytest.param(["--fail-on", "critical"], 0, id="below-threshold"),
        pytest.param(["--fail-on", "high"], 1, id="at-threshold"),
        pytest.param(["--ignore-vuln", "CVE-2024-3651"], 0, id="ignored-by-alias"),
        pytest.param(["--ignore-vuln", "pysec-2024-60"], 0, id="ignored-in-any-case"),
        pytest.param(["--pattern", "IDNA*"], 1, id="pattern-keeps"),
        pytest.param(["--pattern", "other-*"], 0, id="pattern-drops"),
    ],
)
def test_fail_on_ignore_and_pattern(
    capsys: pytest.CaptureFixture[str], all_zip: Path, cache_dir: Path, args: list[str], code: int
) -> None:
    assert audit_json(capsys, "--package", "idna==3.6", "--db", all_zip, *args)[0] == code


def test_a_malicious_package_fails_whatever_fail_on_says(
    capsys: pytest.CaptureFixture[str], all_zip: Path, cache_dir: Path
) -> None:
    code, report = audit_json(
        capsys, "--package", f"{MALWARE_NAME}==9.9", "--db", all_zip, "--fail-on", "critical"
    )
    assert (code, report["failed"], report["findings"]) == (1, True, [])


@pytest.mark.parametrize("mode", ["500", "slow", "invalid-json", "down"])
def test_a_failing_service_is_exit_2_one_line_nothing_cached_then_recovers(
    capsys: pytest.CaptureFixture[str], osv: OsvServer, cache_dir: Path, mode: str
) -> None:
    url = "http://127.0.0.1:9" if mode == "down" else osv.url
    osv.mode = mode
    code, out, err = audit(capsys, *packages(PINS), "--osv-url", url, "--timeout", "0.3")
    assert (code, out) == (2, "")
    assert err.startswith(f"tether: error: {url}/v1/querybatch: ")
    assert err.count("\n") == 1
    assert cached_answers(cache_dir) == []
    osv.mode = "ok"
    code, report = audit_json(capsys, *packages(PINS), "--osv-url", osv.url)
    assert (code, found(report)) == (1, EXPECTED)
    assert len(cached_answers(cache_dir)) == len(PINS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--package", "idna"], "--package: expected NAME==VERSION", id="no-version"),
        pytest.param(["--package", "idna==x.y"], "--package: expected NAME==VERSION", id="bad-version"),
        pytest.param(
            ["--package", "idna==3.6", "--lock", "x.txt"], "it takes neither --lock", id="package-and-lock"
        ),
        pytest.param(
            ["--package", "idna==3.6", "--db", "d", "--osv-url", "http://x"], "no --osv-url", id="db-and-url"
        ),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["audit", *args])
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_a_database_that_cannot_be_read_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, cache_dir: Path
) -> None:
    code, out, err = audit(capsys, "--package", "idna==3.6", "--db", tmp_path / "nowhere.zip")
    assert (code, out) == (2, "")
    assert err == (
        f"tether: error: {tmp_path / 'nowhere.zip'}: no such file or directory "
        "(expected an OSV all.zip or a directory of records)\n"
    )


def test_cyclonedx_output_is_valid_cyclonedx_1_6(
    capsys: pytest.CaptureFixture[str], osv: OsvServer, cache_dir: Path
) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    pins = {"urllib3": "1.26.4", "idna": "3.6", "certifi": "2024.2.2", MALWARE_NAME: "0.1.0"}
    code, out, err = audit(capsys, *packages(pins), "--osv-url", osv.url, "--format", "cyclonedx")
    assert (code, err) == (1, "")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(out) is None
    bom = json.loads(out)
    assert bom["specVersion"] == "1.6"
    assert sorted(c["purl"] for c in bom["components"]) == sorted(
        f"pkg:pypi/{n}@{v}" for n, v in pins.items()
    )
    vulns = {v["id"]: v for v in bom["vulnerabilities"]}
    assert set(vulns) == {
        "PYSEC-2021-108",
        "PYSEC-2023-192",
        "PYSEC-2023-212",
        "PYSEC-2024-60",
        "MAL-2099-0001",
    }
    assert vulns["PYSEC-2024-60"]["ratings"] == [
        {
            "method": "CVSSv31",
            "score": 7.5,
            "severity": "high",
            # cyclonedx-python-lib writes the vector without its "CVSS:3.1/" prefix.
            "vector": "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        }
    ]
    assert vulns["PYSEC-2024-60"]["affects"][0]["ref"] == "pkg:pypi/idna@3.6"
    assert vulns["MAL-2099-0001"]["recommendation"] == "Remove this package: it is malicious."


# -- a real environment and its lock (acceptance 1 and 2) ------------------------------


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A requirements.txt compiled by uv from PINS, and a real venv synced from it."""
    root = tmp_path_factory.mktemp("synced")
    (root / "requirements.in").write_text("".join(f"{n}=={v}\n" for n, v in PINS.items()))
    venv = root / ".venv"
    uv = tool("uv")
    run(uv, "venv", "-q", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    run(
        uv,
        "pip",
        "compile",
        "-q",
        "--python",
        python,
        root / "requirements.in",
        "-o",
        root / "requirements.txt",
    )
    run(uv, "pip", "sync", "-q", "--python", python, root / "requirements.txt", env=clean_env())
    return venv, root / "requirements.txt"


@pytest.mark.flows
def test_a_real_environment_reports_exactly_what_the_records_imply_online_and_offline(
    capsys: pytest.CaptureFixture[str],
    synced: tuple[Path, Path],
    osv: OsvServer,
    all_zip: Path,
    cache_dir: Path,
) -> None:
    venv, _ = synced
    code, online = audit_json(capsys, "--python", venv, "--osv-url", osv.url)
    code_offline, offline = audit_json(capsys, "--python", venv, "--db", all_zip)
    assert code == code_offline == 1
    assert found(online) == found(offline) == EXPECTED
    assert online["findings"] == offline["findings"]
    assert {p["name"]: p["version"] for p in online["packages"]} == PINS
    # certifi, at a fixed version, reports none.
    assert not [f for f in online["findings"] if f["name"] == "certifi"]
    # Two batch calls at most would do for 5 packages; here one, and one fetch per record.
    assert osv.batch_calls == 1
    assert osv.detail_calls == len(EXPECTED)


@pytest.mark.flows
def test_a_lock_audit_gives_the_findings_of_the_environment_synced_from_it(
    capsys: pytest.CaptureFixture[str],
    synced: tuple[Path, Path],
    osv: OsvServer,
    all_zip: Path,
    cache_dir: Path,
) -> None:
    venv, lock = synced
    for source in (["--osv-url", osv.url], ["--db", str(all_zip)]):
        env_code, from_env = audit_json(capsys, "--python", venv, *source)
        lock_code, from_lock = audit_json(capsys, "--lock", lock, "--python", venv, *source)
        assert env_code == lock_code == 1
        assert from_lock["findings"] == from_env["findings"]
        assert from_lock["packages"] == from_env["packages"]
        assert from_lock["lock"] == str(lock)


def test_a_progress_bar_is_drawn_on_a_terminal_only(osv: OsvServer, tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import threading

    # 21 records to fetch: more than the 20 from which a bar is drawn.
    pins = {"urllib3": "1.24", "py": "1.9.0", "sqlparse": "0.4.1", "jinja2": "2.10", "pygments": "2.0",
            "certifi": "2018.1.18", "idna": "3.6", "apache-skywalking": "1.0.0"}  # fmt: skip
    argv = [sys.executable, "-m", "tether", "audit", *packages(pins), "--osv-url", osv.url, "--no-cache"]
    environment = clean_env(TETHER_CACHE_DIR=str(tmp_path / "cache"))
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the terminal's other end is closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.run(
        argv, stdout=subprocess.PIPE, stderr=slave, env=environment, timeout=120, check=False
    )
    os.close(slave)
    reader.join(10)
    os.close(master)
    terminal = b"".join(chunks).decode()
    assert proc.returncode == 1
    assert "\rfetching advisories [" in terminal
    assert "] 21/21" in terminal
    assert terminal.endswith("\r\x1b[K")  # cleared before the report
    piped = subprocess.run(argv, capture_output=True, text=True, env=environment, timeout=120, check=False)
    assert (piped.returncode, piped.stderr) == (1, "")


@pytest.mark.flows
def test_the_pre_commit_hook_fails_on_a_vulnerable_environment_and_passes_a_fixed_one(
    tmp_path: Path, dist_venv: MakeDistVenv, make_dist: MakeDist, all_zip: Path
) -> None:
    import shutil

    from tests.helpers import site_packages
    from tests.test_precommit import commit, snapshot

    repo = snapshot(tmp_path / "tether")
    rev = run(tool("git"), "-C", repo, "rev-parse", "HEAD").stdout.strip()
    project = tmp_path / "project"
    project.mkdir()
    venv = dist_venv({"idna": "3.6"}, name="project/.venv")
    (project / ".gitignore").write_text(".venv/\n")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {repo}\n  rev: {rev}\n  hooks:\n  - id: tether-audit\n    args: [--db, {all_zip}]\n"
    )
    commit(project)
    environment = clean_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))

    def hook() -> tuple[int, str]:
        proc = run(
            tool("pre-commit"),
            "run",
            "tether-audit",
            "--all-files",
            cwd=project,
            env=environment,
            check=False,
        )
        return proc.returncode, proc.stdout + proc.stderr

    code, out = hook()
    assert code == 1, out
    assert "PYSEC-2024-60" in out and "Failed" in out, out
    site = site_packages(venv)
    shutil.rmtree(site / "idna-3.6.dist-info")
    make_dist(site, "idna", "3.7")
    code, out = hook()
    assert (code, "Passed") == (0, "Passed" if "Passed" in out else out)


def test_a_malformed_record_from_the_service_is_exit_2_naming_its_url(
    capsys: pytest.CaptureFixture[str], osv: OsvServer, cache_dir: Path
) -> None:
    osv.served["PYSEC-2024-60"] = {"id": "PYSEC-2024-60", "affected": "everything"}
    code, out, err = audit(capsys, "--package", "idna==3.6", "--osv-url", osv.url)
    assert (code, out) == (2, "")
    assert err == (
        f"tether: error: {osv.url}/v1/vulns/PYSEC-2024-60: not an OSV record: in 'affected', expected a list\n"
    )
    assert cached_answers(cache_dir) == []


def test_control_characters_of_a_record_do_not_reach_the_terminal(
    tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A record (or a mirror) whose summary holds a carriage return and an erase-line
    # sequence could draw "no known vulnerabilities" over the table; a newline split a row.
    record = {
        "id": "PYSEC-2099-6",
        "aliases": ["CVE-2099-6\x1b[8m"],
        "summary": "x\r\x1b[2Kno known vulnerabilities\nin 1 package",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "idna"}, "versions": ["3.6"]}],
    }
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "PYSEC-2099-6.json").write_text(json.dumps(record))
    code, out, _ = audit(capsys, "--db", tmp_path / "db", "--package", "idna==3.6")
    assert code == 1
    assert not any(c in out for c in "\r\x1b\t"), repr(out)
    rows = [line for line in out.splitlines() if line.startswith("idna")]
    assert len(rows) == 1
    assert "PYSEC-2099-6" in rows[0]
