"""Whether a lock still matches its project file: uv's comparison with uv's normal forms,
poetry's and pipenv's hashes, on real files (the tools themselves are run in
test_staleness_flows.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import DATA, REAL_LOCKS, MakeVenv, read_bound, tether
from tether.sources import reader_for, staleness
from tether.sources._common import load_toml
from tether.sources.staleness import _same_marker

WORKSPACE = DATA / "uv-lock" / "workspace"


def read_toml_text(text: str) -> dict[str, object]:
    return dict(load_toml(text).data)


def uv_verdict(
    tmp_path: Path, file: str = "pyproject.toml", old: str = "", new: str = ""
) -> tuple[str, tuple[str, ...]]:
    """The stale reason and the notes for a copy of the workspace with one edit."""
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root)
    if old:
        text = (root / file).read_text()
        assert old in text, old
        (root / file).write_text(text.replace(old, new))
    bound = read_bound(reader_for(root / "uv.lock"), root / "uv.lock", display="uv.lock")
    return bound.stale, bound.notes


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("", "", id="as locked"),
        pytest.param(">=1.0,<3", "<3,>=1.0", id="specifier clauses reordered"),
        pytest.param(">=1.0,<3", ">=1,<3.0", id="versions spelled otherwise"),
        pytest.param('version = "0.1.0"', 'version = "0.1"', id="the project's version spelled otherwise"),
        pytest.param('"iniconfig>=', '"IniConfig>=', id="a name spelled otherwise"),
        pytest.param("python_version >= '3.10'", "python_full_version >= '3.10'", id="uv's marker form"),
        pytest.param("python_version >= '3.10'", "'3.10' <= python_version", id="a marker turned around"),
        pytest.param(
            "sys_platform == 'linux'",
            "sys_platform == 'linux' and sys_platform == 'linux'",
            id="a redundant marker",
        ),
        pytest.param('lint = ["six>=1"]', 'lint = ["six >= 1"]', id="spaces"),
        pytest.param("[project]", "# a comment\n[project]", id="a comment"),
        pytest.param("; python_version >= '3.10'", "", id="a marker the workspace's requires-python implies"),
        pytest.param('"lib"]', '"lib", "lib"]', id="a requirement written twice"),
        pytest.param(">=1.0,<3", ">=1.0,<3,>=0.5", id="a clause the others imply"),
        pytest.param(">=1.0,<3", ">=1.0,<3,!=3.5", id="an exclusion outside the range"),
    ],
)
def test_uv_what_uv_holds_equal_is_not_stale(tmp_path: Path, old: str, new: str) -> None:
    assert uv_verdict(tmp_path, "pyproject.toml", old, new) == ("", ())


@pytest.mark.parametrize(
    ("file", "old", "new", "reason"),
    [
        pytest.param("pyproject.toml", '"lib"]', '"lib", "six"]',
                     "pyproject.toml: demo-x requires six is not in uv.lock", id="a dependency added"),
        pytest.param("pyproject.toml", ">=1.0,<3", ">=1.0,<3,!=2.5",
                     "pyproject.toml: demo-x requires iniconfig>=1.0,<3,!=2.5", id="an exclusion inside the range"),
        pytest.param("pyproject.toml", ">=1.0,<3", ">=2,<3",
                     "pyproject.toml: demo-x requires iniconfig>=2,<3; python_version >= '3.10' (the lock has "
                     "iniconfig>=1.0,<3; python_full_version >= '3.10')", id="a bound raised"),
        pytest.param("pyproject.toml", "python_version >= '3.10'", "python_version >= '3.11'",
                     "pyproject.toml: demo-x requires iniconfig", id="a marker changed"),
        pytest.param("pyproject.toml", 'cli = ["', 'rich = []\ncli = ["',
                     "pyproject.toml: demo-x has extras ['cli', 'rich']; uv.lock has ['cli']", id="an extra added"),
        pytest.param("pyproject.toml", 'lint = ["six>=1"]', 'lint = ["six>=2"]',
                     "pyproject.toml: demo-x group 'dev' requires six>=2 (the lock has six>=1)",
                     id="an included group changed"),
        pytest.param("pyproject.toml", 'dev-dependencies = ["packaging"]\n', "",
                     "group 'dev' requires packaging was removed (still in uv.lock)", id="tool.uv dev-dependencies"),
        pytest.param("pyproject.toml", 'lint = ["six>=1"]', 'lint = ["six>=1"]\ndocs = []',
                     "pyproject.toml: demo-x has dependency group 'docs', which uv.lock has not", id="a group added"),
        pytest.param("pyproject.toml", '"six<2"', '"six<3"',
                     "pyproject.toml: [tool.uv] constraint-dependencies: six<3 (the lock has six<2)",
                     id="a constraint changed"),
        pytest.param("pyproject.toml", 'override-dependencies = ["iniconfig>=1"]', "",
                     "[tool.uv] override-dependencies: iniconfig>=1 was removed", id="an override removed"),
        pytest.param("pyproject.toml", "lib = { workspace = true }", "",
                     "pyproject.toml: demo-x requires lib (the lock has lib)", id="a source removed"),
        pytest.param("packages/lib/pyproject.toml", ">=3.10", ">=3.11",
                     "pyproject.toml: requires-python is >=3.9,>=3.11; uv.lock has >=3.10",
                     id="a member's requires-python"),
        pytest.param("packages/lib/pyproject.toml", "dependencies = []", 'dependencies = ["six"]',
                     "packages/lib/pyproject.toml: lib requires six is not in uv.lock", id="a member's dependency"),
        pytest.param("packages/lib/pyproject.toml", 'version = "0.1.0"', 'version = "0.2"',
                     "packages/lib/pyproject.toml: lib is version 0.2; uv.lock has 0.1.0", id="a version bumped"),
        pytest.param("pyproject.toml", "[tool.uv]\n", "[tool.uv]\npackage = true\n",
                     "pyproject.toml: demo-x is a package (editable); uv.lock has it virtual", id="made a package"),
        pytest.param("packages/lib/pyproject.toml", "[build-system]", "[tool.uv]\npackage = false\n[build-system]",
                     "packages/lib/pyproject.toml: lib is virtual (not a package); uv.lock has it editable",
                     id="made virtual"),
        pytest.param("pyproject.toml", '"packages/*"', '"nothing/*"',
                     "pyproject.toml: the workspace members are demo-x; uv.lock has demo-x, lib",
                     id="a member gone"),
    ],
)  # fmt: skip
def test_uv_what_uv_finds_changed_is_stale(
    tmp_path: Path, file: str, old: str, new: str, reason: str
) -> None:
    stale, notes = uv_verdict(tmp_path, file, old, new)
    assert reason in stale and notes == ()


def test_uv_what_cannot_be_compared_is_a_note(tmp_path: Path) -> None:
    stale, notes = uv_verdict(tmp_path, "pyproject.toml", 'version = "0.1.0"', 'dynamic = ["dependencies"]')
    assert stale == "" and notes == (
        "uv.lock: pyproject.toml: dependencies are dynamic (uv builds it to know them); not compared",
    )
    stale, notes = uv_verdict(tmp_path / "b", "pyproject.toml", '"lib"]', '"lib", "not a requirement!"]')
    assert stale == "" and notes == (
        "uv.lock: whether it matches its project files was not checked (invalid requirement 'not a requirement!')",
    )


def test_uv_a_member_that_cannot_be_read_is_named_in_the_note(tmp_path: Path) -> None:
    """Every member's file is called pyproject.toml: the note names it by its path."""
    stale, notes = uv_verdict(tmp_path, "packages/lib/pyproject.toml", "[project]", "[project")
    assert stale == "" and len(notes) == 1
    assert notes[0].startswith(
        "uv.lock: whether it matches its project files was not checked (packages/lib/pyproject.toml: line "
    )


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("python_version >= '3.10'", "python_full_version >= '3.10'", True),
        ("python_version > '3.10'", "python_full_version >= '3.11'", True),
        ("python_version > '3.10'", "python_full_version > '3.10'", False),
        ("python_version < '3.11' and sys_platform == 'win32'", "sys_platform == 'win32' and python_version < '3.11'",
         True),
        ("os_name == 'nt' or sys_platform == 'win32'", "sys_platform == 'win32'", False),
        # uv records platform_system as sys_platform where they name one platform.
        ("platform_system != 'Windows'", "sys_platform != 'win32'", True),
        ("platform_system == 'Darwin' or platform_system == 'Linux'", "sys_platform == 'darwin' or sys_platform == 'linux'",
         True),
        ("platform_system == 'Windows'", "sys_platform == 'cygwin'", False),
        ("platform_system == 'FreeBSD'", "sys_platform == 'freebsd'", False),
        ("extra == 'cli'", "extra == 'CLI'", True),
        ("extra == 'cli'", "extra == 'web'", False),
        (None, "python_version >= '3.8' or python_version < '3.8'", True),
        (None, "sys_platform == 'linux'", False),
    ],
)  # fmt: skip
def test_markers_compared_by_meaning(a: str | None, b: str | None, same: bool) -> None:
    assert _same_marker(a, b) is same and _same_marker(b, a) is same


# -- poetry ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("folder", "stale"),
    [("Davidy22__SkunkBooth", False), ("python-poetry__poetry", False), ("sdispater__pendulum", True)],
)
def test_poetry_content_hash_of_public_projects(folder: str, stale: bool) -> None:
    """The verdicts poetry check --lock gives them (test_staleness_flows.py runs it): the
    1.x hash of [tool.poetry] alone (SkunkBooth), the 2.x hash of [project] and
    [tool.poetry] (poetry); pendulum's pyproject.toml changed after its lock."""
    lock = REAL_LOCKS / "poetry-lock" / folder / "poetry.lock"
    bound = read_bound(reader_for(lock), lock, display="poetry.lock")
    assert bool(bound.stale) is stale
    if stale:
        assert bound.stale.startswith(
            "pyproject.toml: its dependencies, groups, extras, sources or requires-python"
        )


POETRY_PYPROJECT = """\
[project]
name = "p"
version = "1"
dependencies = ["six"]

[dependency-groups]
lint = ["ruff"]
"""


@pytest.mark.parametrize(("writer", "current"), [("2.2.1", True), ("2.3.0", False), ("2.5.1", False)])
def test_poetry_before_2_3_hashed_no_dependency_groups(writer: str, current: bool) -> None:
    """As poetry's Locker.is_fresh: a lock written before 2.3.0 is also fresh when its hash
    is the one without [dependency-groups]."""
    pyproject = read_toml_text(POETRY_PYPROJECT)
    without = staleness.poetry_content_hash(pyproject, with_dependency_groups=False)
    assert without != staleness.poetry_content_hash(pyproject)
    text = f'# This file is automatically @generated by Poetry {writer} and should not be changed by hand.\n\n[metadata]\nlock-version = "2.1"\ncontent-hash = "{without}"\n'
    assert (staleness.poetry_lock(text, read_toml_text(text), pyproject, "pyproject.toml") == "") is current


# -- pipenv ----------------------------------------------------------------------------------

PIPFILE = """\
[[source]]
url = "https://index.example/simple"
verify_ssl = true
name = "index"

[packages]
Requests = "*"

[dev-packages]

[requires]
python_version = "3.11"
"""


def pipfile_verdict(tmp_path: Path, pipfile: str, recorded_from: str) -> tuple[str, tuple[str, ...]]:
    (tmp_path / "Pipfile").write_text(pipfile)
    lock = {"_meta": {"hash": {"sha256": staleness.pipfile_hash(read_toml_text(recorded_from))}, "pipfile-spec": 6,
                      "sources": [], "requires": {}}, "default": {}, "develop": {}}  # fmt: skip
    (tmp_path / "Pipfile.lock").write_text(json.dumps(lock))
    bound = read_bound(
        reader_for(tmp_path / "Pipfile.lock"), tmp_path / "Pipfile.lock", display="Pipfile.lock"
    )
    return bound.stale, bound.notes


def test_pipfile_hash(tmp_path: Path) -> None:
    assert pipfile_verdict(tmp_path, PIPFILE, PIPFILE) == ("", ())
    # pipenv hashes PEP 503 names: another spelling is the same Pipfile.
    assert pipfile_verdict(tmp_path, PIPFILE.replace("Requests", "requests"), PIPFILE) == ("", ())
    # Key order and comments are not hashed.
    assert pipfile_verdict(tmp_path, "# hi\n" + PIPFILE.replace('verify_ssl = true\nname = "index"',
                           'name = "index"\nverify_ssl = true'), PIPFILE) == ("", ())  # fmt: skip
    stale, notes = pipfile_verdict(tmp_path, PIPFILE.replace('Requests = "*"', 'Requests = ">=2"'), PIPFILE)
    assert stale.startswith("Pipfile: its packages, categories, sources or requires changed") and notes == ()
    stale, _ = pipfile_verdict(tmp_path, PIPFILE + '\n[docs]\nsphinx = "*"\n', PIPFILE)
    assert stale


def test_pipfile_that_cannot_be_hashed_is_a_note(tmp_path: Path) -> None:
    no_source = PIPFILE.split("[packages]", 1)[1]
    (tmp_path / "Pipfile").write_text("[packages]" + no_source)
    lock = {"_meta": {"hash": {"sha256": "ab"}, "pipfile-spec": 6}, "default": {}}
    (tmp_path / "Pipfile.lock").write_text(json.dumps(lock))
    bound = read_bound(
        reader_for(tmp_path / "Pipfile.lock"), tmp_path / "Pipfile.lock", display="Pipfile.lock"
    )
    assert bound.stale == "" and bound.notes == (
        "Pipfile: whether the lock matches it was not checked (it has no [[source]], and pipenv hashes its "
        "default one in its place)",
    )
    (tmp_path / "Pipfile").unlink()
    bound = read_bound(
        reader_for(tmp_path / "Pipfile.lock"), tmp_path / "Pipfile.lock", display="Pipfile.lock"
    )
    assert (bound.stale, bound.notes) == ("", ())


def test_an_edit_or_a_new_member_is_seen_through_the_cache(tmp_path: Path, make_venv: MakeVenv) -> None:
    """The project files are stamped with the result: an edited member's pyproject.toml,
    or a new member folder where a pattern looks, is a change, never a stale answer."""
    venv = make_venv()
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root)

    def stale() -> list[str]:
        proc = tether("validate", "-p", venv, "--format", "json", cwd=root)
        assert proc.returncode == 1, proc.stderr
        return [r["detail"] for r in json.loads(proc.stdout)["records"] if r["status"] == "stale-lock"]

    assert stale() == [] and stale() == []  # computed, then from the cache
    member = root / "packages" / "lib" / "pyproject.toml"
    member.write_text(member.read_text().replace(">=3.10", ">=3.11"))
    assert stale() == ["pyproject.toml: requires-python is >=3.9,>=3.11; uv.lock has >=3.10"]
    member.write_text(member.read_text().replace(">=3.11", ">=3.10"))
    assert stale() == []
    (root / "packages" / "new").mkdir()
    (root / "packages" / "new" / "pyproject.toml").write_text('[project]\nname = "new"\nversion = "1"\n')
    assert stale() == ["pyproject.toml: the workspace members are demo-x, lib, new; uv.lock has demo-x, lib"]


@pytest.mark.parametrize(
    ("requirement", "entry"),
    [
        ("y @ git+https://git.example/x/y@v1", {"name": "y", "git": "https://git.example/x/y?rev=v1"}),
        (
            "y @ git+ssh://git@git.example/x/y.git@a/b",
            {"name": "y", "git": "ssh://git@git.example/x/y.git?rev=a/b"},
        ),
        (
            "y @ https://files.example/y-1.0.tar.gz",
            {"name": "y", "url": "https://files.example/y-1.0.tar.gz"},
        ),
        ("y @ file:///src/y", {"name": "y", "path": "/src/y"}),
    ],
)
def test_direct_urls_as_uv_lowers_them(requirement: str, entry: dict[str, str]) -> None:
    wanted = staleness._project_req(requirement, {})
    assert staleness._same_req(wanted, staleness._lock_req(entry), None)
    assert not staleness._same_req(wanted, staleness._lock_req({"name": "y"}), None)


def test_uv_a_list_of_sources_is_one_entry_per_source(tmp_path: Path) -> None:
    root = tmp_path / "sl"
    shutil.copytree(DATA / "uv-lock" / "sources-list", root)
    lock = root / "uv.lock"
    assert read_bound(reader_for(lock), lock, display="uv.lock").stale == ""
    project = root / "pyproject.toml"
    project.write_text(project.read_text().replace("sys_platform != 'linux'", "sys_platform == 'win32'"))
    assert read_bound(reader_for(lock), lock, display="uv.lock").stale == (
        "pyproject.toml: top requires lib (the lock has lib; sys_platform != 'linux')"
    )


def test_uv_a_project_file_without_project_is_stale(tmp_path: Path) -> None:
    """The lock's root project was locked from a [project] since removed (uv lock --check:
    stale); with no workspace members to compare, it was called current."""
    root = tmp_path / "sl"
    shutil.copytree(DATA / "uv-lock" / "sources-list", root)
    (root / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    lock = root / "uv.lock"
    assert read_bound(reader_for(lock), lock, display="uv.lock").stale == (
        "pyproject.toml: it has no [project]; uv.lock has project top"
    )


@pytest.mark.parametrize(
    ("source", "stale"),
    [
        pytest.param('{ path = "a", marker', False, id="as locked"),
        pytest.param('{ path = "./a/", marker', False, id="the path spelled otherwise"),
        pytest.param('{ path = "b", marker', True, id="another path"),
        pytest.param('{ path = "a", editable = true, marker', True, id="made editable"),
    ],
)
def test_uv_a_path_source_is_compared_by_path_and_editable(tmp_path: Path, source: str, stale: bool) -> None:
    """uv lock --check finds the lock stale when a path source moves or becomes editable
    (the verdicts here are uv's); tether called every local source the same."""
    root = tmp_path / "sl"
    shutil.copytree(DATA / "uv-lock" / "sources-list", root)
    project = root / "pyproject.toml"
    project.write_text(project.read_text().replace('{ path = "a", marker', source))
    lock = root / "uv.lock"
    reason = read_bound(reader_for(lock), lock, display="uv.lock").stale
    assert reason == (
        "pyproject.toml: top requires lib (the lock has lib; sys_platform == 'linux')" if stale else ""
    )


def test_uv_a_member_another_names_a_workspace_source_is_a_package(tmp_path: Path) -> None:
    """uv installs a member named by a `workspace = true` source as a package (editable)
    even without a [build-system]: uv lock --check calls this lock current."""
    member = "packages/lib/pyproject.toml"
    text = (WORKSPACE / member).read_text()
    build = text[text.index("[build-system]") :]
    assert uv_verdict(tmp_path, member, build, "") == ("", ())


@pytest.mark.parametrize(
    ("groups", "reason"),
    [
        pytest.param('["dev"]', "", id="uv's default"),
        pytest.param('["Lint", "dev"]', "pyproject.toml: demo-x has default-groups ['Lint', 'dev']; uv.lock has none",
                     id="another group"),
        pytest.param('"all"', "pyproject.toml: demo-x has default-groups all; uv.lock has none", id="all"),
    ],
)  # fmt: skip
def test_uv_default_groups_are_what_uv_recorded(tmp_path: Path, groups: str, reason: str) -> None:
    """uv (lock revision 5) records [tool.uv] default-groups on the project's package, and
    uv lock --check finds the lock stale when they change (the verdicts here are uv's)."""
    assert uv_verdict(
        tmp_path, "pyproject.toml", "[tool.uv]\n", f"[tool.uv]\ndefault-groups = {groups}\n"
    ) == (
        reason,
        (),
    )


def test_uv_a_local_source_drops_the_version_clauses(tmp_path: Path) -> None:
    """uv keeps version clauses for a registry requirement only: with path sources,
    `lib>=5` is `lib` to uv lock --check (which calls this lock current)."""
    root = tmp_path / "sl"
    shutil.copytree(DATA / "uv-lock" / "sources-list", root)
    project = root / "pyproject.toml"
    project.write_text(project.read_text().replace('dependencies = ["lib"]', 'dependencies = ["lib>=5"]'))
    lock = root / "uv.lock"
    assert read_bound(reader_for(lock), lock, display="uv.lock").stale == ""


@pytest.mark.parametrize(
    ("edits", "note"),
    [
        pytest.param([("[tool.uv.sources]\nlib = { workspace = true }\n", ""), ("[tool.uv]\n", "[tool.uv]\nsources = 5\n")],
                     "[tool.uv] sources is not a table: 5", id="sources"),
        pytest.param([("lib = { workspace = true }", "lib = 5")], "a [tool.uv.sources] entry is not a table: 5",
                     id="an entry"),
    ],
)  # fmt: skip
def test_uv_sources_that_are_not_tables_are_a_note(
    tmp_path: Path, edits: list[tuple[str, str]], note: str
) -> None:
    """uv refuses them; tether compared as if there were no sources, and said current."""
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root)
    text = (root / "pyproject.toml").read_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    (root / "pyproject.toml").write_text(text)
    bound = read_bound(reader_for(root / "uv.lock"), root / "uv.lock", display="uv.lock")
    assert (bound.stale, bound.notes) == (
        "",
        (f"uv.lock: whether it matches its project files was not checked ({note})",),
    )


def test_many_lines_of_one_name_are_matched_in_bounded_time() -> None:
    # 300 lines of one name under markers that each read several variables: compared by
    # meaning pair by pair, this took minutes; past _MAX_PAIRS markers are compared by
    # their normalised text, and the verdict is still exact for what is equal or not.
    import time

    from tether.sources.staleness import _differences, _project_req

    def reqs(spelling: str) -> list[staleness._Req]:
        return [
            _project_req(
                f"foo; python_full_version {spelling} '3.{i}.1' and sys_platform == 'linux' "
                f"and platform_machine == 'x86_64'",
                {},
            )
            for i in range(300)
        ]

    start = time.monotonic()
    # The lock's order reversed: each line is matched only after every other was tried.
    assert _differences(reqs("=="), reqs("==")[::-1], "proj requires", "uv.lock") == []
    changed = reqs("==")
    changed[7] = _project_req("foo; python_full_version == '3.7.2'", {})
    assert _differences(changed, reqs("=="), "proj requires", "uv.lock") == [
        "proj requires foo; python_full_version == '3.7.2' (the lock has "
        "foo; python_full_version == '3.7.1' and sys_platform == 'linux' and platform_machine == 'x86_64')"
    ]
    # A guard against a hang (minutes before), not a performance target.
    assert time.monotonic() - start < 30
