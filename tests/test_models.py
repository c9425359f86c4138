"""A dependency built from a PEP 508 requirement: one construction
(:meth:`tether.models.Expectation.from_requirement`), its extras normalised (PEP 685) on
every path a requirement reaches it by: a requirements file, a pyproject's dependencies
and groups, a poetry project's dependencies and groups, installed ``Requires-Dist``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from tests.helpers import linux_311
from tether.installed import scan
from tether.models import Expectation, Source
from tether.sources import Selection, load_bound
from tether.validate import expand_closure

if TYPE_CHECKING:
    from pathlib import Path

    from tests.helpers import MakeDist


def extras_of(expectations: tuple[Expectation, ...] | list[Expectation], name: str) -> set[str]:
    (exp,) = [e for e in expectations if e.name == name]
    return set(exp.extras)


def test_from_requirement() -> None:
    req = Requirement("Foo.Bar[Some_Extra, other.THING,X-Y]>=1 ; python_version > '3'")
    exp = Expectation.from_requirement(req, origin="here")
    assert exp == Expectation(
        name="foo-bar",  # type: ignore[arg-type]
        specifier=SpecifierSet(">=1"),
        extras=frozenset({"some-extra", "other-thing", "x-y"}),  # type: ignore[arg-type]
        origin="here",
    )
    index = Source(kind="index")
    assert Expectation.from_requirement(req, origin="", source=index).source is index


def test_requirements_file(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("Foo[Some_Extra,Other.Extra]==1.0\n")
    bound = load_bound(str(tmp_path / "requirements.txt"), linux_311())
    assert extras_of(bound.expectations, "foo") == {"some-extra", "other-extra"}


def test_pyproject_dependencies_and_groups(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\ndependencies = ["Foo[Some_Extra]>=1"]\n'
        '[dependency-groups]\ndev = ["Bar[Other__Extra]"]\n'
    )
    bound = load_bound(str(tmp_path / "pyproject.toml"), linux_311(), Selection(groups=("dev",)))
    assert extras_of(bound.expectations, "foo") == {"some-extra"}
    assert extras_of(bound.expectations, "bar") == {"other-extra"}


POETRY_LOCK = """\
[[package]]
name = "a"
version = "1.0"
description = ""
optional = false
python-versions = "*"
files = []

[package.dependencies]
b = {version = "*", optional = true}

[package.extras]
some-extra = ["b"]

[[package]]
name = "b"
version = "1.0"
description = ""
optional = true
python-versions = "*"
files = []

[[package]]
name = "c"
version = "1.0"
description = ""
optional = false
python-versions = "*"
files = []

[package.dependencies]
d = {version = "*", optional = true}

[package.extras]
other-extra = ["d"]

[[package]]
name = "d"
version = "1.0"
description = ""
optional = true
python-versions = "*"
files = []

[metadata]
lock-version = "2.0"
python-versions = "*"
content-hash = "0"
"""


def test_poetry_project_dependencies_and_groups(tmp_path: Path) -> None:
    """A lock 2.0 is walked from the project's requirements: the extra a requirement
    names, however spelt, is the locked package's extra (``b`` and ``d`` follow). The
    ``[dependency-groups]`` path did not normalise, and left ``b`` out."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\ndependencies = ["C[Other_Extra]"]\n'
        '[dependency-groups]\ndev = ["A[Some.Extra]"]\n'
    )
    (tmp_path / "poetry.lock").write_text(POETRY_LOCK)
    bound = load_bound(str(tmp_path / "poetry.lock"), linux_311())
    assert {e.name for e in bound.expectations} == {"app", "a", "b", "c", "d"}


def test_installed_requires_dist(tmp_path: Path, make_dist: MakeDist) -> None:
    """``Requires-Dist: lib[Some_Extra]`` asks for lib's ``some-extra``, whose own
    requirements (``extra == "some-extra"``) are then followed."""
    site = tmp_path / "site"
    make_dist(site, "app", "1.0", requires=["Lib[Some_Extra]>=1"])
    make_dist(site, "lib", "1.0", requires=['helper; extra == "some-extra"'])
    make_dist(site, "helper", "1.0")
    app = Expectation(name="app", specifier=SpecifierSet("==1.0"))  # type: ignore[arg-type]
    closure = expand_closure({app.name: app}, scan([str(site)], with_requires=True), linux_311().marker_env())
    assert extras_of(list(closure.values()), "lib") == {"some-extra"}
    assert set(closure) == {"app", "lib", "helper"}
