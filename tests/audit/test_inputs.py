"""What is audited: an environment, a lock, named packages; what is skipped and why."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest

from tests.helpers import site_packages
from tether.audit import Package, Skipped
from tether.audit.inputs import Inputs, from_environment, from_lock, from_specs, narrow
from tether.sources.interface import Selection

if TYPE_CHECKING:
    from pathlib import Path

    from tests.helpers import MakeDist, MakeDistVenv


def test_an_environment_skips_local_projects_and_invalid_versions(
    dist_venv: MakeDistVenv, make_dist: MakeDist
) -> None:
    venv = dist_venv({"idna": "3.6", "six": "1.16.0"})
    site = site_packages(venv)
    make_dist(site, "myapp", "0.1.0", direct_url={"url": "file:///src/myapp", "dir_info": {"editable": True}})
    make_dist(site, "weird", "not-a-version")
    inputs = from_environment(str(venv))
    assert inputs.packages == (Package(name="idna", version="3.6"), Package(name="six", version="1.16.0"))
    assert sorted(inputs.skipped, key=lambda s: s.name) == [
        Skipped(name="myapp", version="0.1.0", reason="installed from a local directory, not a PyPI release"),
        Skipped(name="weird", version="not-a-version", reason="invalid version 'not-a-version'"),
    ]
    assert inputs.python == str(venv / "bin" / "python")


def test_a_lock_audits_its_pins_and_says_what_it_cannot(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        "idna==3.6\nsix>=1.0\npy==1.9.0 ; python_version < '3'\nurllib3===1.26.4\n"
        f"localproj @ {(tmp_path / 'local-project').as_uri()}\n"
    )
    (tmp_path / "local-project").mkdir()
    inputs = from_lock(str(lock), sys.executable, Selection(), timeout=5)
    assert inputs.packages == (Package(name="idna", version="3.6"), Package(name="urllib3", version="1.26.4"))
    assert [(s.name, s.reason) for s in inputs.skipped] == [
        ("six", "not pinned (>=1.0): audit the environment instead"),
        ("localproj", "installed from a local directory, not a PyPI release"),
    ]
    assert inputs.lock == str(lock)


def test_named_packages() -> None:
    assert from_specs(["Django==4.2.1", " idna == 3.6 "]).packages == (
        Package(name="django", version="4.2.1"),
        Package(name="idna", version="3.6"),
    )
    for bad in ("idna", "idna==", "==3.6", "idna===3.6", "idna==3.6==1"):
        with pytest.raises(ValueError, match="--package: expected NAME==VERSION"):
            from_specs([bad])


def test_patterns_match_normalized_names() -> None:
    inputs = Inputs(
        packages=(Package(name="django", version="4.2"), Package(name="django-rest", version="1"),
                  Package(name="idna", version="3.6")),
        skipped=(Skipped(name="zope-interface", version=None, reason="r"),),
    )  # fmt: skip
    assert [p.name for p in narrow(inputs, ["Django*"]).packages] == ["django", "django-rest"]
    assert [p.name for p in narrow(inputs, ["django_rest", "IDNA"]).packages] == ["django-rest", "idna"]
    assert narrow(inputs, ["zope.*"]).skipped == inputs.skipped
    assert narrow(inputs, []) is inputs


@pytest.mark.parametrize("bad", ["requests[socks]==2.0", "föö==1.0", "foo bar==1.0", "-foo==1.0", "foo.==1"])
def test_a_package_name_that_is_not_a_name_is_refused(bad: str) -> None:
    # Audited as written, "requests[socks]" names no package any advisory is about: the
    # audit passed, whatever requests 2.0 carries.
    with pytest.raises(ValueError, match=r"--package: expected NAME==VERSION.* not a valid package name"):
        from_specs([bad])
