"""The CLI as users meet it: bad input gives one line and exit 2; output formats; exit codes."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

from tests.helpers import MakeDistVenv, cli, data_file, tether
from tether.cli import main

PY = sys.executable


@pytest.mark.parametrize(
    ("lock", "message"),
    [
        pytest.param("nope.txt", "tether: error: nope.txt: no such file\n", id="missing-file"),
        pytest.param(
            str(data_file("bad")),
            f"tether: error: {data_file('bad')}: no bound file found here "
            "(looked for uv.lock, poetry.lock, Pipfile.lock, pixi.lock, pylock.toml, requirements.txt, pyproject.toml)\n",
            id="directory",
        ),
        pytest.param(
            str(data_file("bad", "requirements.binary.txt")),
            f"tether: error: {data_file('bad', 'requirements.binary.txt')}: is a binary file; "
            "expected a text lock or requirements file\n",
            id="binary",
        ),
        pytest.param(
            str(data_file("bad", "pylock.truncated.toml")),
            f"tether: error: {data_file('bad', 'pylock.truncated.toml')}:5: invalid TOML: "
            "Unterminated string\n",
            id="truncated-toml",
        ),
        pytest.param(
            str(data_file("requirements", "invalid-line.txt")),
            f"tether: error: {data_file('requirements', 'invalid-line.txt')}:2: invalid requirement "
            "'requests = = 2': Expected semicolon (after name with no version specifier) or end\n",
            id="invalid-pep508",
        ),
        pytest.param(
            str(data_file("pylock", "pylock.unknown-lock-version.toml")),
            f"tether: error: {data_file('pylock', 'pylock.unknown-lock-version.toml')}: in "
            "'lock-version': lock-version '2.0' is not supported; expected 1.x (PEP 751)\n",
            id="unknown-lock-version",
        ),
    ],
)
def test_bad_bound(capsys: pytest.CaptureFixture[str], lock: str, message: str) -> None:
    assert cli(capsys, "validate", "-p", PY, "--lock", lock) == (2, "", message)


def test_bad_bound_in_a_child_process_has_no_traceback(tmp_path: Path) -> None:
    proc = tether("validate", "-p", PY, "--lock", tmp_path / "missing.lock")
    assert proc.returncode == 2
    assert proc.stderr == f"tether: error: {tmp_path / 'missing.lock'}: no such file\n"


def test_python_that_is_not_a_python(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho not json\n")
    fake.chmod(0o755)
    lock = data_file("requirements", "pip-compile-hashes.txt")
    assert cli(capsys, "validate", "-p", fake, "--lock", lock) == (
        2,
        "",
        f"tether: error: {fake}: did not answer as a Python 3.8+ interpreter does\n",
    )
    assert cli(capsys, "validate", "-p", tmp_path / "none", "--lock", lock) == (
        2,
        "",
        f"tether: error: {tmp_path / 'none'}: no such file; expected a Python interpreter\n",
    )
    fake.write_text("#!/bin/sh\necho boom >&2; exit 3\n")
    assert cli(capsys, "validate", "-p", fake, "--lock", lock) == (
        2,
        "",
        f"tether: error: {fake}: exited with 3 (boom); expected a Python 3.8+ interpreter\n",
    )


def test_formats_and_exit_codes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, dist_venv: MakeDistVenv
) -> None:
    venv = dist_venv({"idna": "3.6", "six": "1.16.0"})
    lock = tmp_path / "requirements.txt"
    lock.write_text("idna==3.7\ncertifi==2024.2.2\n")
    code, out, _ = cli(capsys, "validate", "-p", venv, "--lock", lock, "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["valid"] is False
    assert [(r["name"], r["status"], r["installed"], r["expected"]) for r in report["records"]] == [
        ("certifi", "missing", None, "2024.2.2"),
        ("idna", "mismatch", "3.6", "3.7"),
        ("six", "unexpected", "1.16.0", None),
    ]
    assert set(report["records"][0]) == {"name", "status", "installed", "expected", "sites", "detail"}
    code, out, _ = cli(capsys, "validate", "-p", venv, "--lock", lock, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 1 and [r["name"] for r in rows] == ["certifi", "idna", "six"]
    code, out, _ = cli(capsys, "validate", "-p", venv, "--lock", lock)
    assert code == 1
    assert "idna" in out and "\033[" not in out
    py = venv / "bin" / "python"
    assert f"repair: {py} -m pip install -r {lock} && {py} -m pip uninstall -y six\n" in out
    lock.write_text("idna==3.6\nsix==1.16.0\n")
    code, out, _ = cli(capsys, "validate", "-p", venv, "--lock", lock)
    assert (code, out) == (0, f"valid: 2 installed distributions of {venv / 'bin' / 'python'} match {lock}\n")


def test_virtual_env_is_the_default_target(tmp_path: Path, dist_venv: MakeDistVenv) -> None:
    venv = dist_venv({"idna": "3.6", "six": "1.16.0"})
    (tmp_path / "requirements.txt").write_text("idna==3.6\nsix==1.16.0\n")
    from tests.helpers import clean_env

    proc = tether("validate", cwd=tmp_path, env=clean_env(VIRTUAL_ENV=str(venv)))
    assert proc.returncode == 0, proc.stderr
    assert "match requirements.txt" in proc.stdout


def test_help_says_how_pip_is_treated(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    assert "pip, which bootstraps most environments, may always be present unlisted" in " ".join(
        capsys.readouterr().out.split()
    )


def test_usage_error_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--format", "yaml"])
    assert exc.value.code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["validate", "--timeout", "nan"],
            "argument --timeout: expected a number of seconds above 0 and at most 86400, got 'nan'",
        ),
        (
            ["validate", "--timeout", "inf"],
            "argument --timeout: expected a number of seconds above 0 and at most 86400, got 'inf'",
        ),
        (
            ["validate", "--timeout", "-1"],
            "argument --timeout: expected a number of seconds above 0 and at most 86400, got '-1'",
        ),
        (
            ["validate", "--timeout", "0"],
            "argument --timeout: expected a number of seconds above 0 and at most 86400, got '0'",
        ),
        (
            ["site-install", "--exit-code", "256"],
            "argument --exit-code: expected an exit code from 1 to 255, got '256'",
        ),
        (
            ["site-install", "--exit-code", "0"],
            "argument --exit-code: expected an exit code from 1 to 255, got '0'",
        ),
        (
            ["site-install", "--exit-code", "99999999999999999999"],
            "argument --exit-code: expected an exit code from 1 to 255, got '99999999999999999999'",
        ),
        # An abbreviation is not the option: the result cache would take it for another command.
        (["validate", "--no-cach"], "unrecognized arguments: --no-cach"),
        (["site-status", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_options_are_usage_errors_of_their_subcommand(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.splitlines()[-1] == f"tether {args[0]}: error: {message}"
    assert err.startswith(f"usage: tether {args[0]} ")


def test_a_path_that_is_not_utf8_is_printed_not_raised(tmp_path: Path, dist_venv: MakeDistVenv) -> None:
    import os

    venv = dist_venv({"six": "1.16.0"})
    lock = os.fsencode(tmp_path) + b"/req-\xff.txt"
    with open(lock, "wb") as f:
        f.write(b"six==1.16.0\n")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "TETHER_NO_CACHE": "1"}
    proc = tether("validate", "-p", venv, "--lock", os.fsdecode(lock), env=env)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.rstrip().endswith("req-\\udcff.txt")


def _drifted(dist_venv: MakeDistVenv, tmp_path: Path) -> tuple[Path, Path]:
    venv = dist_venv({"six": "1.16.0", "idna": "3.6"})
    lock = tmp_path / "requirements.txt"
    lock.write_text("six==1.16.0\n")
    return venv, lock


def _run_on_a_terminal(*args: str | Path, env: dict[str, str]) -> str:
    """What tether writes to stdout when stdout is a pseudo-terminal."""
    import os
    import pty
    import subprocess

    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tether", *map(str, args)], stdout=follower, stderr=subprocess.PIPE,
            env=env, timeout=60, check=False,
        )  # fmt: skip
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    assert proc.returncode == 1, proc.stderr
    return b"".join(chunks).decode()


def test_color_follows_the_conventions(dist_venv: MakeDistVenv, tmp_path: Path) -> None:
    import os

    venv, lock = _drifted(dist_venv, tmp_path)
    base = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR", "TERM"}}
    args = ("validate", "-p", venv, "--lock", lock)
    assert "\x1b[" in _run_on_a_terminal(*args, env=base)
    assert "\x1b[" not in _run_on_a_terminal(*args, env={**base, "NO_COLOR": "1"})
    assert "\x1b[" not in _run_on_a_terminal(*args, env={**base, "TERM": "dumb"})
    assert "\x1b[" not in _run_on_a_terminal(*args, "--color", "never", env=base)
    # On a pipe: plain unless asked.
    assert "\x1b[" not in tether(*args, env=base).stdout
    assert "\x1b[" in tether(*args, "--color", "always", env=base).stdout
    assert "\x1b[" in tether(*args, env={**base, "FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in tether(*args, env={**base, "FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout


def test_quiet_and_verbose(dist_venv: MakeDistVenv, tmp_path: Path) -> None:
    venv, lock = _drifted(dist_venv, tmp_path)
    valid = tmp_path / "valid.txt"
    valid.write_text("six==1.16.0\nidna==3.6\n")
    for _ in range(2):  # computed, then from the cache: the same
        proc = tether("validate", "-p", venv, "--lock", valid, "-q")
        assert (proc.returncode, proc.stdout) == (0, "")
        proc = tether("validate", "-p", venv, "--lock", lock, "-q")
        assert proc.returncode == 1 and "idna" in proc.stdout
        proc = tether("validate", "-p", venv, "--lock", lock, "-qq")
        assert (proc.returncode, proc.stdout) == (1, "")
    proc = tether("validate", "-p", venv, "--lock", lock, "-v", "--no-cache")
    assert "read now" in proc.stderr and str(lock) in proc.stderr
    first = tether("validate", "-p", venv, "--lock", valid, "-v").stderr
    assert "read now" in first
    assert tether("validate", "-p", venv, "--lock", valid, "-v").stderr.count("answered from the cache") == 1


def test_quiet_leaves_out_what_is_shown_never_the_file_asked_for(
    dist_venv: MakeDistVenv, tmp_path: Path
) -> None:
    # -q/-qq quiet the terminal; a report asked for with -o is written whole (as uv
    # export -q -o does), not replaced by an empty file.
    venv, lock = _drifted(dist_venv, tmp_path)
    valid = tmp_path / "valid.txt"
    valid.write_text("six==1.16.0\nidna==3.6\n")
    out = tmp_path / "report"
    for bound, quiet, fmt, code in (
        (lock, "-qq", "json", 1),
        (valid, "-q", "text", 0),
        (lock, "-qq", "cyclonedx", 1),
    ):
        out.write_text("the user's previous report\n")
        proc = tether("validate", "-p", venv, "--lock", bound, quiet, "--format", fmt, "-o", out)
        assert (proc.returncode, proc.stdout, proc.stderr) == (code, "", ""), fmt
        text = out.read_text()
        if fmt == "text":
            assert text.startswith("valid: "), text
        else:
            assert json.loads(text), fmt


def test_output_through_a_symlink_replaces_its_target_not_the_link(
    dist_venv: MakeDistVenv, tmp_path: Path
) -> None:
    venv, lock = _drifted(dist_venv, tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "bom.json").write_text("old\n")
    link = tmp_path / "bom.json"
    link.symlink_to(shared / "bom.json")
    proc = tether("validate", "-p", venv, "--lock", lock, "--format", "cyclonedx", "-o", link)
    assert proc.returncode == 1, proc.stderr
    assert link.is_symlink()
    assert json.loads((shared / "bom.json").read_text())["bomFormat"] == "CycloneDX"
    assert sorted(p.name for p in shared.iterdir()) == ["bom.json"]


def test_version_examples_and_exit_codes_in_every_help(capsys: pytest.CaptureFixture[str]) -> None:
    from tether import __version__

    with pytest.raises(SystemExit):
        main(["-V"])
    assert capsys.readouterr().out == f"tether {__version__}\n"
    for command in ("validate", "site-install", "site-uninstall", "site-status"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert "examples:\n  tether " in out, command
        last = out.rstrip().splitlines()[-1]
        assert last.startswith("exit codes: 0 ") and "2 usage or input error" in last, command


def test_the_json_contract_keys(dist_venv: MakeDistVenv, tmp_path: Path) -> None:
    from tether import __version__

    venv, lock = _drifted(dist_venv, tmp_path)
    report = json.loads(tether("validate", "-p", venv, "--lock", lock, "--format", "json").stdout)
    assert report["schema"] == 1 and report["tether_version"] == __version__
    assert report["summary"] == {
        "missing": 0, "mismatch": 0, "unexpected": 1, "duplicate": 0, "shadowed": 0, "invalid": 0, "leftover": 0,
        "stale-lock": 0,
    }  # fmt: skip
    assert report["repair"].endswith("-m pip uninstall -y idna")
    assert report["interpreter"]["prefix"] == str(venv) and report["interpreter"]["version"].startswith("3.")
    assert report["bound_files"] == [str(lock)]
    # The keys of the first contract are all there, with their meaning.
    assert {"valid", "bound", "bound_format", "python", "records"} <= set(report)


def test_output_writes_the_report_to_a_file(dist_venv: MakeDistVenv, tmp_path: Path) -> None:
    venv, lock = _drifted(dist_venv, tmp_path)
    report = tmp_path / "tether.json"
    report.write_text("the previous report\n")
    for _ in range(2):  # never answered from the caches, which hold stdout
        proc = tether("validate", "-p", venv, "--lock", lock, "--format", "json", "--output", report)
        assert (proc.returncode, proc.stdout) == (1, "")
        assert json.loads(report.read_text())["summary"]["unexpected"] == 1
    # A report that cannot be written: one line, and the file as it was.
    missing = tmp_path / "no-such-dir" / "tether.json"
    proc = tether("validate", "-p", venv, "--lock", lock, "-o", missing)
    assert (
        proc.returncode == 2
        and proc.stderr == f"tether: error: {missing}: cannot write the report (No such file or directory)\n"
    )


def test_output_to_a_pipe_or_a_directory(dist_venv: MakeDistVenv, tmp_path: Path) -> None:
    import os
    import threading

    venv, lock = _drifted(dist_venv, tmp_path)
    # A named pipe another process reads stays a pipe: written to, not replaced.
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    proc = tether("validate", "-p", venv, "--lock", lock, "--format", "json", "-o", fifo)
    reader.join(timeout=30)
    assert proc.returncode == 1 and fifo.is_fifo()
    assert json.loads(got[0])["summary"]["unexpected"] == 1
    # A directory: one line, and nothing written.
    proc = tether("validate", "-p", venv, "--lock", lock, "-o", tmp_path)
    assert proc.returncode == 2
    assert (
        proc.stderr == f"tether: error: {tmp_path}: is a directory; expected a file to write the report to\n"
    )


def test_a_deleted_working_directory_is_one_line(tmp_path: Path) -> None:
    import os
    import subprocess

    gone = tmp_path / "gone"
    gone.mkdir()
    script = f"import os, sys; os.chdir({str(gone)!r}); os.rmdir({str(gone)!r}); from tether.cli import main; sys.exit(main(['validate']))"
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, env=dict(os.environ)
    )
    assert proc.returncode == 2 and proc.stderr.startswith("tether: error: the working directory is gone")
    assert proc.stderr.count("\n") == 1
