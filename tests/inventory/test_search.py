"""``search``, ``count`` and ``files`` through the CLI, in every format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.helpers import MakeDist, tether
from tether.inventory.discover import discover
from tether.inventory.files import owned_files
from tether.inventory.search import search


@pytest.fixture
def tree(tmp_path: Path, make_dist: MakeDist) -> Path:
    """Two venvs, one in a folder whose name needs quoting in CSV, one inheriting a base."""
    root = tmp_path / "root"
    odd = root / 'we,ird "name"' / "venv"
    make_dist(
        odd / "lib" / "python3.11" / "site-packages", "Django", "5.0.1", folder="Django-5.0.1.dist-info"
    )
    make_dist(odd / "lib" / "python3.11" / "site-packages", "django-rest-framework", "3.14.0")
    (odd / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")
    base = root / "pyenv" / "3.12.1"
    make_dist(base / "lib" / "python3.12" / "site-packages", "zope.interface", "6.1")
    child = root / "child"
    make_dist(child / "lib" / "python3.12" / "site-packages", "six", "1.16.0")
    (child / "pyvenv.cfg").write_text(
        f"home = {base / 'bin'}\ninclude-system-site-packages = true\nversion = 3.12.1\n"
    )
    return root


@pytest.mark.parametrize(
    ("pattern", "case_sensitive", "expected"),
    [
        pytest.param("django*", False, ["django", "django-rest-framework"], id="glob"),
        pytest.param("DJANGO", False, ["django"], id="case-insensitive"),
        pytest.param("Django", True, ["django"], id="case-sensitive-as-written"),
        pytest.param("django", True, [], id="case-sensitive-miss"),
        pytest.param(
            "zope_interface", False, ["zope-interface", "zope-interface"], id="separators-and-inherited"
        ),
        pytest.param("?ix", False, ["six"], id="question-mark"),
    ],
)
def test_search_patterns(tree: Path, pattern: str, case_sensitive: bool, expected: list[str]) -> None:
    matches = search(discover([str(tree)]), pattern, case_sensitive=case_sensitive)
    assert [m.distribution.name for m in matches] == expected


def test_inherited_matches_name_the_venv(tree: Path) -> None:
    matches = search(discover([str(tree)]), "zope*")
    assert [(Path(m.environment.prefix).name, m.inherited) for m in matches] == [
        ("child", True),
        ("3.12.1", False),
    ]
    text = tether("search", "zope*", "--root", tree)
    assert "(from its base)" in text.stdout
    assert text.stdout.endswith("2 matches for 'zope*' in 2 environments\n")


def test_search_formats_and_exit_codes(tree: Path) -> None:
    proc = tether("search", "django*", "--root", tree, "--format", "csv")
    assert proc.returncode == 0
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [(Path(r["environment"]).parent.name, r["name"]) for r in rows] == [
        ('we,ird "name"', "django"),
        ('we,ird "name"', "django-rest-framework"),
    ]
    assert '"' in proc.stdout.splitlines()[1]  # quoted, since the path holds a comma and quotes
    proc = tether("search", "django*", "--root", tree, "--format", "json")
    document = json.loads(proc.stdout)
    assert document["pattern"] == "django*"
    assert set(document["matches"][0]) == {
        "environment", "kind", "python_version", "name", "version", "installer", "site", "path", "inherited",
    }  # fmt: skip
    proc = tether("search", "nothing-like-it", "--root", tree)
    assert (proc.returncode, proc.stdout) == (1, "0 matches for 'nothing-like-it' in 0 environments\n")


def test_count(tree: Path) -> None:
    proc = tether("count", "--root", tree, "--format", "json")
    document = json.loads(proc.stdout)
    counts = {k: document[k] for k in ("interpreters", "environments", "sites", "distributions", "kinds")}
    assert counts == {
        "interpreters": 2,  # the pyenv base, and /usr (the first venv's home)
        "environments": 3,
        "sites": 3,
        "distributions": 4,
        "kinds": {"venv": 2, "base": 1},
    }
    rows = list(csv.reader(io.StringIO(tether("count", "--root", tree, "--format", "csv").stdout)))
    assert rows[:5] == [["what", "count"], ["interpreters", "2"], ["environments", "3"], ["sites", "3"],
                        ["distributions", "4"]]  # fmt: skip


def test_scan_csv_round_trips_through_the_csv_module(tree: Path) -> None:
    proc = tether("scan", "--root", tree, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert len(rows) == 4
    assert {r["environment"] for r in rows if r["name"] == "django"} == {str(tree / 'we,ird "name"' / "venv")}


def test_files_from_record(tree: Path, make_dist: MakeDist) -> None:
    site = tree / "child" / "lib" / "python3.12" / "site-packages"
    info = site / "six-1.16.0.dist-info"
    (site / "six.py").write_text("# six\n")
    (info / "RECORD").write_text(
        "six.py,sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,6\n"
        "six-1.16.0.dist-info/METADATA,,\n../../../bin/six-tool,,\nsix-1.16.0.dist-info/RECORD,,\n"
    )
    (found,) = owned_files(discover([str(tree)]), "six")
    assert [f.path for f in found.files] == [
        str(site / "six.py"),
        str(info / "METADATA"),
        str(tree / "child" / "bin" / "six-tool"),
        str(info / "RECORD"),
    ]
    proc = tether("files", "six", "--root", tree, "--format", "json")
    (dist,) = json.loads(proc.stdout)["distributions"]
    assert (dist["name"], dist["count"], dist["problem"]) == ("six", 4, None)
    assert dist["files"][0] == {"path": str(site / "six.py"), "recorded": "six.py",
                                "hash": "sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "size": 6}  # fmt: skip
    # No RECORD: listed with the reason, in every format.
    proc = tether("files", "django", "--root", tree, "--count")
    assert "cannot read the RECORD" in proc.stdout
    assert proc.returncode == 0
    rows = list(
        csv.DictReader(io.StringIO(tether("files", "--count", "--root", tree, "--format", "csv").stdout))
    )
    assert {r["name"]: r["count"] for r in rows} == {
        "django": "", "django-rest-framework": "", "six": "4", "zope-interface": "",
    }  # fmt: skip
    assert tether("files", "nothing", "--root", tree).returncode == 1


def test_output_file_is_written_whole(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "scan.json"
    proc = tether("scan", "--root", tree, "--format", "json", "-o", out)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert len(json.loads(out.read_text())["environments"]) == 3


def test_a_venv_whose_home_is_itself_lists_each_distribution_once(
    tmp_path: Path, make_dist: MakeDist
) -> None:
    venv = tmp_path / "venv"
    make_dist(venv / "lib" / "python3.11" / "site-packages", "foo", "1.0")
    (venv / "bin").mkdir()
    (venv / "pyvenv.cfg").write_text(
        f"home = {venv / 'bin'}\nversion = 3.11.1\ninclude-system-site-packages = true\n"
    )
    inventory = discover([str(tmp_path)])
    assert [(m.environment.prefix, m.inherited) for m in search(inventory, "foo")] == [(str(venv), False)]
