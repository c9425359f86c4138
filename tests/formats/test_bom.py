"""validate --format cyclonedx: a CycloneDX 1.6 document of the environment, checked against
the schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from tests.helpers import MakeDist, MakeDistVenv, run, site_packages, tether

SHA = "0" * 63 + "1"


def valid_bom(text: str) -> dict[str, object]:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, str(error)[:2000]
    document: dict[str, object] = json.loads(text)
    return document


@pytest.fixture
def env(dist_venv: MakeDistVenv, make_dist: MakeDist, tmp_path: Path) -> tuple[Path, Path]:
    """A venv of an index install, an archive with hashes, a git checkout, a local
    directory, and an invalid distribution; a lock for the first."""
    venv = dist_venv({"idna": "3.7"})
    site = site_packages(venv)
    make_dist(
        site,
        "From-Archive",
        "2.0",
        direct_url={"url": "https://files.example/a-2.0.tar.gz", "archive_info": {"hashes": {"sha256": SHA}}},
    )
    make_dist(
        site,
        "from-git",
        "0.1",
        direct_url={"url": "https://git.example/r.git", "vcs_info": {"vcs": "git", "commit_id": "a" * 40}},
    )
    make_dist(site, "local", "1.0", direct_url={"url": "file:///src/local", "dir_info": {"editable": True}})
    make_dist(site, "broken", None)
    lock = tmp_path / "requirements.txt"
    lock.write_text("idna==3.7\n")
    return venv, lock


def test_the_document_validates_and_lists_every_installed_distribution(env: tuple[Path, Path]) -> None:
    venv, lock = env
    proc = tether("validate", "-p", venv, "--lock", lock, "--format", "cyclonedx")
    assert proc.returncode == 1, proc.stderr  # four unexpected: the drift is in the exit code
    bom = valid_bom(proc.stdout)
    assert bom["specVersion"] == "1.6"
    components = {c["name"]: c for c in bom["components"]}  # type: ignore[attr-defined]
    report = json.loads(tether("validate", "-p", venv, "--lock", lock, "--format", "json").stdout)
    installed = {r["name"] for r in report["records"]} | {"idna"}
    assert set(components) == installed == {"idna", "from-archive", "from-git", "local", "broken"}
    assert components["idna"]["purl"] == components["idna"]["bom-ref"] == "pkg:pypi/idna@3.7"
    assert components["from-archive"]["purl"] == (
        "pkg:pypi/from-archive@2.0?download_url=https://files.example/a-2.0.tar.gz"
    )
    assert components["from-archive"]["hashes"] == [{"alg": "SHA-256", "content": SHA}]
    assert (
        components["from-git"]["purl"]
        == f"pkg:pypi/from-git@0.1?vcs_url=git%2Bhttps://git.example/r.git%40{'a' * 40}"
    )
    assert components["local"]["purl"] == "pkg:pypi/local@1.0"
    assert "hashes" not in components["idna"]


def test_a_name_installed_twice_is_one_component(
    dist_venv: MakeDistVenv, make_dist: MakeDist, tmp_path: Path
) -> None:
    venv = dist_venv({"six": "1.16.0"})
    make_dist(site_packages(venv), "six", "1.15.0", folder="six-1.15.0.dist-info")
    lock = tmp_path / "requirements.txt"
    lock.write_text("six==1.16.0\n")
    proc = tether("validate", "-p", venv, "--lock", lock, "--format", "cyclonedx")
    components = valid_bom(proc.stdout)["components"]
    assert [c["version"] for c in components] == ["1.15.0"]  # type: ignore[attr-defined]


def test_never_answered_from_the_caches(env: tuple[Path, Path]) -> None:
    venv, lock = env
    argv = ("validate", "-p", venv, "--lock", lock, "--format", "cyclonedx")
    first, second = (json.loads(tether(*argv).stdout) for _ in range(2))
    assert first["serialNumber"] != second["serialNumber"]
    (site_packages(venv) / "local-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: local\nVersion: 1.1\n"
    )
    third = json.loads(tether(*argv).stdout)
    assert {c["name"]: c["version"] for c in third["components"]}["local"] == "1.1"


@pytest.mark.flows
def test_component_count_equals_what_pip_lists(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin/python", "-m", "pip", "install", "-q", "idna", "certifi")
    listed = json.loads(run(venv / "bin/python", "-m", "pip", "list", "--format", "json").stdout)
    lock = tmp_path / "requirements.txt"
    lock.write_text("".join(f"{p['name']}=={p['version']}\n" for p in listed))
    proc = tether("validate", "-p", venv, "--lock", lock, "--format", "cyclonedx")
    assert proc.returncode == 0, proc.stderr
    components = valid_bom(proc.stdout)["components"]
    assert sorted((c["name"], c["version"]) for c in components) == sorted(  # type: ignore[attr-defined]
        (p["name"].lower(), p["version"]) for p in listed
    )


def test_scan_lists_every_distribution_of_every_environment(
    dist_venv: MakeDistVenv, make_dist: MakeDist, tmp_path: Path
) -> None:
    # The same release in two environments is two components, each naming its environment.
    first = dist_venv({"idna": "3.7", "six": "1.16.0"}, name="first")
    second = dist_venv({"idna": "3.7"}, name="second")
    make_dist(
        site_packages(second),
        "from-archive",
        "2.0",
        direct_url={"url": "https://files.example/a-2.0.tar.gz", "archive_info": {"hashes": {"sha256": SHA}}},
    )
    proc = tether("scan", "--root", tmp_path, "--format", "cyclonedx")
    assert proc.returncode == 0, proc.stderr
    components = valid_bom(proc.stdout)["components"]
    listed = json.loads(tether("scan", "--root", tmp_path, "--format", "json").stdout)
    count = sum(len(e["distributions"]) for e in listed["environments"])
    assert len(components) == count == 4  # type: ignore[arg-type]
    where = sorted(
        (c["name"], {p["name"]: p["value"] for p in c["properties"]}["tether:environment"])
        for c in components  # type: ignore[attr-defined]
    )
    assert where == [
        ("from-archive", str(second)),
        ("idna", str(first)),
        ("idna", str(second)),
        ("six", str(first)),
    ]
    by_name = {c["name"]: c for c in components}  # type: ignore[attr-defined]
    assert by_name["from-archive"]["hashes"] == [{"alg": "SHA-256", "content": SHA}]


def test_a_slash_in_a_name_cannot_make_its_purl_another_package() -> None:
    from packageurl import PackageURL

    from tether.formats.bom import purl

    for name in ("evil/requests", '=h("http://x")', "a//b"):
        parsed = PackageURL.from_string(purl(name, "1.0"))
        assert (parsed.namespace, parsed.name, parsed.version) == (None, name.lower(), "1.0"), purl(
            name, "1.0"
        )


def test_a_slash_in_a_name_stays_escaped_in_the_document(
    dist_venv: MakeDistVenv, make_dist: MakeDist, tmp_path: Path
) -> None:
    # The purl is escaped when made, and the document must carry it as made: parsed and
    # written again by the serializer, "evil/requests" read back as "requests".
    venv = dist_venv({"idna": "3.7"})
    make_dist(site_packages(venv), "evil/requests", "2.0", folder="evil-2.0.dist-info")
    lock = tmp_path / "requirements.txt"
    lock.write_text("idna==3.7\n")
    from packageurl import PackageURL

    for command in (
        ("validate", "-p", venv, "--lock", lock, "--format", "cyclonedx"),
        ("scan", "--root", venv, "--format", "cyclonedx"),
    ):
        components = valid_bom(tether(*command).stdout)["components"]
        evil = [c for c in components if c["name"] == "evil/requests"]  # type: ignore[attr-defined]
        assert evil, command
        for component in evil:
            parsed = PackageURL.from_string(component["purl"])
            assert (parsed.namespace, parsed.name) == (None, "evil/requests"), component["purl"]


def test_a_password_in_a_direct_url_does_not_reach_the_document(
    dist_venv: MakeDistVenv, make_dist: MakeDist, tmp_path: Path
) -> None:
    # PEP 610 asks installers to leave credentials out of direct_url.json; one that did
    # not must not put a token into a bill of materials sent to another system.
    venv = dist_venv({})
    site = site_packages(venv)
    make_dist(site, "from-git", "0.1", direct_url={
        "url": "https://bot:s3cret-token@git.example/r.git", "vcs_info": {"vcs": "git", "commit_id": "a" * 40}
    })  # fmt: skip
    make_dist(site, "from-archive", "2.0", direct_url={
        "url": "https://bot:s3cret-token@files.example/a-2.0.tar.gz", "archive_info": {}
    })  # fmt: skip
    lock = tmp_path / "requirements.txt"
    lock.write_text("")
    for command in (
        ("validate", "-p", venv, "--lock", lock, "--format", "cyclonedx"),
        ("scan", "--root", venv, "--format", "cyclonedx"),
    ):
        text = tether(*command).stdout
        components = valid_bom(text)["components"]
        assert "s3cret-token" not in text
        purls = {c["name"]: c["purl"] for c in components}  # type: ignore[attr-defined]
        assert "git%2Bhttps://bot:%2A%2A%2A%2A%40git.example/r.git" in purls["from-git"], purls
