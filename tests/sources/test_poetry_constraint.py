"""Poetry's version constraints as tether's poetry.lock reader translates them
(:func:`tether.sources.poetry_lock.poetry_constraint`, a union of ``packaging`` specifier
sets), held to poetry-core, which defines the syntax: each translation is written out by
hand, and on every probe version ``packaging``'s membership must be poetry-core's
``parse_constraint(...).allows(...)``."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet
from poetry.core.constraints.version import Version as PoetryVersion
from poetry.core.constraints.version import parse_constraint
from poetry.core.constraints.version.exceptions import ParseConstraintError

from tether.sources.poetry_lock import poetry_constraint

#: Each poetry constraint, with its PEP 440 translation (one specifier set per ``||`` branch).
TABLE = [
    # Caret: the left-most non-zero component may not change.
    ("^1.2.3", [">=1.2.3,<2"]),
    ("^1.2", [">=1.2,<2"]),
    ("^1", [">=1,<2"]),
    ("^0.2.3", [">=0.2.3,<0.3"]),
    ("^0.2", [">=0.2,<0.3"]),
    ("^0.0.3", [">=0.0.3,<0.0.4"]),
    ("^0.0", [">=0.0,<0.1"]),
    ("^0", [">=0,<1"]),
    ("^1.2.3.4", [">=1.2.3.4,<2"]),
    ("^ 1.2", [">=1.2,<2"]),
    # Tilde: the minor may not change (the major, given alone).
    ("~1.2.3", [">=1.2.3,<1.3"]),
    ("~1.2", [">=1.2,<1.3"]),
    ("~1", [">=1,<2"]),
    ("~0", [">=0,<1"]),
    ("~ 1.2", [">=1.2,<1.3"]),
    # PEP 440's compatible release, and poetry's ~=N (which PEP 440 does not allow).
    ("~=1.2", ["~=1.2"]),
    ("~=1.2.3", ["~=1.2.3"]),
    ("~= 1.2", ["~=1.2"]),
    ("~=1", [">=1,<2"]),
    # Any version.
    ("*", [""]),
    ("x", [""]),
    ("*.*", [""]),
    # Wildcards; an ordered comparison drops one, as poetry-core does.
    ("1.2.*", ["==1.2.*"]),
    ("1.*", ["==1.*"]),
    ("==1.2.*", ["==1.2.*"]),
    ("!=1.2.*", ["!=1.2.*"]),
    (">=3.5.*", [">=3.5"]),
    (">= 3.5.*", [">=3.5"]),
    ("<1.2.*", ["<1.2"]),
    ("<=1.2.*", ["<=1.2"]),
    (">1.2.*", [">1.2"]),
    # Bare versions are exact.
    ("1.2.3", ["==1.2.3"]),
    ("1.2", ["==1.2"]),
    ("1", ["==1"]),
    ("==1.2.3", ["==1.2.3"]),
    ("!=1.2.3", ["!=1.2.3"]),
    # And: commas, spaces, or both.
    (">=1,<2", [">=1,<2"]),
    (">=1, <2", [">=1,<2"]),
    (">= 1.2 < 2", [">=1.2,<2"]),
    (">=1.2 <2.0", [">=1.2,<2.0"]),
    (">= 1.2, < 2", [">=1.2,<2"]),
    ("<2 >1", ["<2,>1"]),
    ("^1.2,<1.5", [">=1.2,<2,<1.5"]),
    ("~1.2, !=1.2.5", [">=1.2,<1.3,!=1.2.5"]),
    (">=2.7, !=3.0.*, !=3.1.*, !=3.2.*", [">=2.7,!=3.0.*,!=3.1.*,!=3.2.*"]),
    (">=1.2,<2.0,!=1.5.*", [">=1.2,<2.0,!=1.5.*"]),
    # Or.
    ("<1.2 || >=2", ["<1.2", ">=2"]),
    ("^1.2 || ^2.0", [">=1.2,<2", ">=2.0,<3"]),
    ("~2.7 || ^3.5", [">=2.7,<2.8", ">=3.5,<4"]),
    ("1.2.3 || 2.0.0", ["==1.2.3", "==2.0.0"]),
    ("1.2.* || 2.*", ["==1.2.*", "==2.*"]),
    (">= 1.2,< 2 || == 3.0", [">=1.2,<2", "==3.0"]),
    ("<4.0 , >=3.6|| ==2.7.*", ["<4.0,>=3.6", "==2.7.*"]),
    # Pre-releases and other spellings poetry-core reads as PEP 440 does.
    ("^1.2.3a1", [">=1.2.3a1,<2"]),
    (">=1.0.0a1", [">=1.0.0a1"]),
    ("^1.2.3-beta.1", [">=1.2.3b1,<2"]),
]

#: Versions each constraint is probed with: around every bound above, and pre-, post-,
#: dev- and local releases next to them.
PROBES = [
    *("0", "0.0.1", "0.0.2", "0.0.3", "0.0.4", "0.1", "0.1.0", "0.1.9", "0.2", "0.2.0", "0.2.3", "0.2.9"),
    *("0.3", "0.3.0", "1", "1.0", "1.0.0", "1.1", "1.2", "1.2.0", "1.2.2", "1.2.3", "1.2.3.4", "1.2.4"),
    *("1.2.5", "1.2.99", "1.3", "1.3.0", "1.5.1", "1.9.9", "2", "2.0", "2.0.0", "2.0.1", "2.1", "2.7"),
    *("2.7.18", "2.8", "3.0", "3.0.1", "3.1.4", "3.2", "3.4", "3.5", "3.5.1", "3.6", "3.8", "3.12.1", "4.0"),
    *("10.0", "1.2.3rc1", "1.2.3b1", "1.2.4a1", "2.0.0a1", "2.0.0.dev0", "1.3.0.dev0", "1.2.3.post1"),
    *("1.2.3+local", "1.0.0a1", "1.2.0rc1", "0.2.3rc1", "1.2.3.dev1", "4.0.0rc1", "1.2.post1", "3.5.0b2"),
]


@pytest.mark.parametrize(("constraint", "pep440"), TABLE, ids=[c for c, _ in TABLE])
def test_translation(constraint: str, pep440: list[str]) -> None:
    assert poetry_constraint(constraint) == [SpecifierSet(s) for s in pep440]


@pytest.mark.parametrize("constraint", [c for c, _ in TABLE])
def test_membership_is_poetry_cores(constraint: str) -> None:
    """``packaging`` admits exactly the probes poetry-core admits (pre-releases included,
    as the reader asks ``contains(..., prereleases=True)`` of a locked version)."""
    ours = poetry_constraint(constraint)
    reference = parse_constraint(constraint)
    disagree = {
        probe: f"poetry-core {reference.allows(PoetryVersion.parse(probe))}"
        for probe in PROBES
        if any(s.contains(probe, prereleases=True) for s in ours)
        != reference.allows(PoetryVersion.parse(probe))
    }
    assert disagree == {}


@pytest.mark.parametrize("constraint", ["1.x", "1.2.x", "==1.2.x", "^1.2.*", "~1.2.*", "~=1.2.*", "^", "~"])
def test_what_poetry_core_refuses_is_refused(constraint: str) -> None:
    with pytest.raises(ParseConstraintError):
        parse_constraint(constraint)
    with pytest.raises(ValueError, match=r"invalid constraint"):
        poetry_constraint(constraint)


@pytest.mark.parametrize(("constraint", "pep440"), [("", [""]), ("===1.2.3", ["===1.2.3"])])
def test_read_where_poetry_core_refuses(constraint: str, pep440: list[str]) -> None:
    """Two spellings poetry-core refuses and the reader takes: an empty constraint (any
    version) and PEP 440's arbitrary equality. Neither is one poetry writes; the reader
    reads what it can rather than refuse a lock over a constraint it can read."""
    with pytest.raises(ParseConstraintError):
        parse_constraint(constraint)
    assert poetry_constraint(constraint) == [SpecifierSet(s) for s in pep440]
