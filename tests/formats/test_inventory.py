"""The text tables of the inventory commands, on a real tree."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.helpers import MakeDist, tether
from tether.formats.inventory import render_count, render_scan
from tether.inventory.discover import discover


def test_scan_and_count_text(tmp_path: Path, make_dist: MakeDist) -> None:
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.12" / "site-packages"
    make_dist(site, "attrs", "23.2.0")
    make_dist(site, "local", "0.1", direct_url={"url": "file:///src/local", "dir_info": {"editable": True}})
    (site / "broken-1.0.dist-info").mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n")
    inventory = discover([str(tmp_path)])
    assert render_scan(inventory, "text") == (
        f"{venv}  (venv, Python 3.12.1, 3 distributions)\n"
        "  attrs   23.2.0  pip\n"
        "  broken  -       -    cannot read METADATA (No such file or directory)\n"
        "  local   0.1     pip  /src/local (editable)\n"
        "1 environment, 3 distributions\n"
    )
    assert render_count(inventory, "text") == (
        "interpreters   1\nenvironments   1\nsites          1\ndistributions  3\n  venv         1\n"
    )


def test_derive_writes_a_file_and_notes_on_stderr(tmp_path: Path, make_dist: MakeDist) -> None:
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.12" / "site-packages"
    make_dist(site, "attrs", "23.2.0")
    make_dist(site, "odd", "not-pep-440")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n")
    out = tmp_path / "requirements.txt"
    proc = tether("derive", "-p", venv, "--anchor", "range", "-o", out)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr == (
        f"tether: note: {site / 'odd-not-pep-440.dist-info'}: left out (invalid version 'not-pep-440')\n"
    )
    assert out.read_text() == f"# derived by tether (--anchor range) from {venv}\nattrs<24,>=23.2.0\n"
    assert tether("derive", "-p", venv, "-q").stderr == ""


def test_csv_cells_a_spreadsheet_would_evaluate_are_neutralised(tmp_path: Path, make_dist: MakeDist) -> None:
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.12" / "site-packages"
    make_dist(site, '=HYPERLINK("x")', "1.0", folder="evil-1.0.dist-info")
    make_dist(site, "plus", "@SUM(1)")
    make_dist(site, 'a,b"c', "1.0", folder="quote-1.0.dist-info")
    (site / "evil-1.0.dist-info" / "INSTALLER").write_text("-cmd\n")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n")
    proc = tether("scan", "--root", tmp_path, "--format", "csv")
    rows = {r["path"].rsplit("/", 1)[1]: r for r in csv.DictReader(io.StringIO(proc.stdout))}
    evil, plus, quote = (
        rows["evil-1.0.dist-info"],
        rows["plus-@SUM(1).dist-info"],
        rows["quote-1.0.dist-info"],
    )
    assert (evil["name"], evil["installer"]) == ('\'=hyperlink("x")', "'-cmd")
    assert plus["version"] == "'@SUM(1)"
    assert quote["name"] == 'a,b"c'  # quoted, not altered
    # JSON holds the values as they are.
    (env,) = json.loads(tether("scan", "--root", tmp_path, "--format", "json").stdout)["environments"]
    assert {d["name"] for d in env["distributions"]} >= {'=hyperlink("x")'}


def test_text_output_writes_no_control_character_from_the_disk(tmp_path: Path, make_dist: MakeDist) -> None:
    # An escape sequence in a start-up line (cursor up, erase line) would hide the
    # UNOWNED line above it on a terminal; a name or path could do the same.
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.12" / "site-packages"
    make_dist(site, "evil\x1b[2J", "1.0\x9b1A", folder="evil-1.0.dist-info")
    (site / "evil\x1b[1A.pth").write_text("import os  # \x1b[1A\x1b[2K\n")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n")
    for command in ("scan", "inspect", "search", "files"):
        args = [command, "*"] if command in ("search", "files") else [command]
        proc = tether(*args, "--root", tmp_path)
        assert proc.returncode in (0, 1), proc.stderr
        assert "\x1b" not in proc.stdout and "\x9b" not in proc.stdout, (command, proc.stdout)
    inspect_out = tether("inspect", "--root", tmp_path).stdout
    assert "'import os  # \\x1b[1A\\x1b[2K'" in inspect_out


def test_derive_notes_write_no_control_character(tmp_path: Path, make_dist: MakeDist) -> None:
    # A note names the metadata folder, whose name is whatever was written to the disk.
    venv = tmp_path / "venv"
    make_dist(venv / "lib" / "python3.12" / "site-packages", "odd", "x", folder="odd\x1b[2J.dist-info")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n")
    proc = tether("derive", "--root", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stderr and "left out" in proc.stderr
