from __future__ import annotations

from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tests.helpers import MakeDist
from tether.installed import scan
from tether.models import Bound, Expectation, Source
from tether.validate import validate

ENV = {
    "python_version": "3.11",
    "python_full_version": "3.11.7",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_version": "",
    "implementation_version": "3.11.7",
}


def exp(name: str, spec: str = "", source: Source | None = None) -> Expectation:
    return Expectation(name=canonicalize_name(name), specifier=SpecifierSet(spec), source=source)


def bound(*exps: Expectation, follows: bool = False) -> Bound:
    return Bound(path="lock", format="test", expectations=exps, follows=follows)


def statuses(records) -> set[tuple[str, str]]:
    return {(r.name, r.status) for r in records}


@pytest.fixture
def site(tmp_path: Path, make_dist: MakeDist) -> Path:
    site = tmp_path / "site"
    make_dist(
        site,
        "requests",
        "2.31.0",
        requires=["idna<4,>=2.5", "certifi>=2017.4.17", "PySocks!=1.5.7,>=1.5.6; extra == 'socks'"],
    )
    make_dist(site, "idna", "3.6")
    make_dist(site, "six", "1.16.0")
    make_dist(site, "pip", "24.0")
    return site


def test_missing_mismatch_unexpected(site: Path) -> None:
    records = validate(
        bound(exp("requests", "==2.31.0"), exp("idna", "==3.7"), exp("certifi", "==2024.2.2")),
        scan([str(site)]),
        environment=ENV,
    )
    assert statuses(records) == {("certifi", "missing"), ("idna", "mismatch"), ("six", "unexpected")}
    (idna,) = [r for r in records if r.name == "idna"]
    assert (idna.installed, idna.expected, idna.detail) == ("3.6", "3.7", "3.6 does not satisfy ==3.7")


def test_superset_subset_ignore(site: Path) -> None:
    b = bound(exp("requests", "==2.31.0"), exp("idna", "==3.6"), exp("certifi"))
    installed = scan([str(site)])
    assert statuses(validate(b, installed, environment=ENV, superset=True)) == {("certifi", "missing")}
    assert statuses(validate(b, installed, environment=ENV, subset=True)) == {("six", "unexpected")}
    assert validate(b, installed, environment=ENV, subset=True, ignore={"six"}) == ()
    # pip unlisted may be there; pip listed is checked like any package.
    assert ("pip", "unexpected") not in statuses(validate(b, installed, environment=ENV))
    with_pip = bound(exp("requests", "==2.31.0"), exp("idna", "==3.6"), exp("certifi"), exp("pip", "==99"))
    assert ("pip", "mismatch") in statuses(validate(with_pip, installed, environment=ENV))


def test_requirements_are_followed(site: Path, make_dist: MakeDist) -> None:
    installed = scan([str(site)], with_requires=True)
    # Pins that leave transitive dependencies out: what requests requires may be present,
    # and must be (`pip install -r` installs it; without it `import requests` fails).
    pinned = bound(exp("requests", "==2.31.0"), exp("six", "==1.16.0"), follows=True)
    assert statuses(validate(pinned, installed, environment=ENV)) == {("certifi", "missing")}
    # Ranges: what requests requires must be present, as pip check says.
    assert statuses(
        validate(bound(exp("requests", ">=2"), exp("six"), follows=True), installed, environment=ENV)
    ) == {("certifi", "missing")}
    # An extra pulls its own requirements in.
    socks = Expectation(
        name=canonicalize_name("requests"),
        specifier=SpecifierSet(),
        extras=frozenset({canonicalize_name("socks")}),
    )
    assert ("pysocks", "missing") in statuses(
        validate(bound(socks, follows=True), installed, environment=ENV)
    )


def test_sources(tmp_path: Path, make_dist: MakeDist) -> None:
    site = tmp_path / "site"
    make_dist(
        site,
        "a",
        "1.0",
        direct_url={
            "url": "https://github.example/o/a.git",
            "vcs_info": {"vcs": "git", "commit_id": "b" * 40},
        },
    )
    make_dist(site, "b", "1.0", direct_url={"url": "file:///src/b", "dir_info": {"editable": True}})
    make_dist(site, "c", "1.0")
    installed = scan([str(site)])
    good = bound(
        exp("a", "==1.0", Source(kind="vcs", vcs="git", url="https://github.example/o/a", commit="b" * 40)),
        exp("b", "", Source(kind="directory", url="/src/b", editable=True)),
        exp("c", "==1.0", Source(kind="index")),
    )
    assert validate(good, installed, environment=ENV) == ()
    bad = bound(
        exp("a", "==1.0", Source(kind="vcs", vcs="git", url="https://github.example/o/a", commit="c" * 40)),
        exp("b", "", Source(kind="directory", url="/src/b", editable=False)),
        exp("c", "==1.0", Source(kind="url", url="https://files.index.example/c-1.0.tar.gz")),
    )
    details = {r.name: r.detail for r in validate(bad, installed, environment=ENV)}
    assert details == {
        "a": f"installed commit {'b' * 40}, expected {'c' * 40}",
        "b": "installed editable from /src/b",
        "c": "installed from index, expected https://files.index.example/c-1.0.tar.gz",
    }


def test_duplicates_shadowed_invalid_leftover(tmp_path: Path, make_dist: MakeDist) -> None:
    first, second = tmp_path / "venv-site", tmp_path / "system-site"
    make_dist(first, "six", "1.16.0")
    make_dist(second, "six", "1.15.0")
    make_dist(first, "attrs", "23.1.0")
    make_dist(first, "attrs", "23.2.0")
    make_dist(first, "broken", None, folder="broken-1.0.dist-info")
    (first / "~ip-24.0.dist-info").mkdir()
    records = validate(
        bound(exp("six", "==1.16.0"), exp("attrs"), exp("broken")),
        scan([str(first), str(second)]),
        environment=ENV,
    )
    assert statuses(records) == {
        ("six", "shadowed"),
        ("attrs", "duplicate"),
        ("broken", "invalid"),
        ("~ip-24.0", "leftover"),
    }
    (six,) = [r for r in records if r.name == "six"]
    assert six.installed == "1.16.0" and six.sites == (str(first), str(second))
