from __future__ import annotations

from pathlib import Path

from tests.helpers import MakeDist
from tether.installed import scan


def test_reads_dist_info_egg_info_and_direct_url(tmp_path: Path, make_dist: MakeDist) -> None:
    site = tmp_path / "site"
    make_dist(site, "Foo.Bar", "1.0", requires=["six>=1; python_version < '4'"])
    make_dist(
        site, "editable-thing", "0.1", direct_url={"url": "file:///src/thing", "dir_info": {"editable": True}}
    )
    make_dist(
        site,
        "from-git",
        "2.0",
        direct_url={
            "url": "https://github.example/o/r.git",
            "vcs_info": {"vcs": "git", "commit_id": "a" * 40, "requested_revision": "main"},
        },
    )
    egg = site / "legacy.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: legacy\nVersion: 0.9\n")
    (site / "old-1.0-py3.11.egg-info").write_text("Metadata-Version: 1.1\nName: old\nVersion: 1.0\n")
    installed = scan([str(site), str(tmp_path / "absent")], with_requires=True)
    by_name = {str(d.name): d for d in installed.dists}
    assert sorted(by_name) == ["editable-thing", "foo-bar", "from-git", "legacy", "old"]
    assert str(by_name["foo-bar"].version) == "1.0"
    assert [str(r) for r in installed.requires[by_name["foo-bar"].path]] == ['six>=1; python_version < "4"']
    assert by_name["editable-thing"].source == ("dir", "/src/thing", True)
    assert by_name["from-git"].source == ("vcs", "git", "https://github.example/o/r", "a" * 40, "main")
    assert by_name["foo-bar"].source == ()
    assert str(by_name["legacy"].version) == "0.9" and str(by_name["old"].version) == "1.0"
    assert all(d.problem is None for d in installed.dists)


def test_broken_metadata_is_carried_not_raised(tmp_path: Path, make_dist: MakeDist) -> None:
    site = tmp_path / "site"
    make_dist(site, "noversion", None, folder="noversion-1.0.dist-info")
    (site / "nometa-2.0.dist-info").mkdir()
    make_dist(site, "badversion", "not a version")
    (site / "~equests-2.0.dist-info").mkdir()
    (site / "~equests").mkdir()
    installed = scan([str(site)])
    problems = {d.name: d.problem for d in installed.dists}
    assert problems == {
        "badversion": "invalid version 'not a version'",
        "nometa": "cannot read METADATA (No such file or directory)",
        "noversion": "METADATA has no Version",
    }
    assert sorted(left.name for left in installed.leftovers) == ["~equests", "~equests-2.0"]


def test_a_legacy_editable_install_is_found_through_its_egg_link(tmp_path: Path) -> None:
    """`setup.py develop` (and pip before PEP 660): NAME.egg-link points at the project,
    whose NAME.egg-info is the metadata; pip lists it as an editable install."""
    site = tmp_path / "site"
    site.mkdir()
    project = tmp_path / "src" / "legacy-proj"
    info = project / "legacy_proj.egg-info"
    info.mkdir(parents=True)
    (info / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: legacy-proj\nVersion: 0.3\n")
    (site / "legacy-proj.egg-link").write_text(f"{project}\n.\n")
    (site / "gone.egg-link").write_text(f"{tmp_path / 'nowhere'}\n.\n")
    by_name = {d.name: d for d in scan([str(site)]).dists}
    legacy = by_name["legacy-proj"]
    assert (legacy.version, legacy.source, legacy.problem) == ("0.3", ("dir", str(project), True), None)
    assert by_name["gone"].problem == f"its project {tmp_path / 'nowhere'} is gone"
