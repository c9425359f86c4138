"""The runtime's PEP 440 keys (stdlib only) against ``packaging``, the reference.

Three properties, on generated spellings of every part of the grammar (epochs, a ``v``,
trailing and leading zeros, every pre/post/dev spelling and separator, upper case, local
labels, surrounding whitespace), on near misses of them and on junk:

- ``key(a) is None`` exactly when ``Version(a)`` fails;
- ``key(a) == key(b)`` exactly when ``Version(a) == Version(b)``;
- ``pin_holds(key(p), key(v))`` exactly when ``SpecifierSet("==" + p).contains(v)``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from tether.runtime.versions import key, pin_holds

# Deterministic and bounded: the same examples on every run, no example database.
FIXED = settings(
    max_examples=250,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# -- the reference ---------------------------------------------------------------------


def reference(text: str) -> Version | None:
    """``packaging``'s reading of *text*, ``None`` when it is not a version.

    A number beyond ``int()``'s digit limit makes ``Version`` raise a plain ``ValueError``
    rather than ``InvalidVersion``: not a version either.
    """
    try:
        return Version(text)
    except (InvalidVersion, ValueError):
        return None


def reference_pin(pin: str, version: str) -> bool:
    return SpecifierSet("==" + pin).contains(version, prereleases=True)


# -- spellings ---------------------------------------------------------------------------

#: Every spelling PEP 440 normalises to each pre-release letter.
PRE = {"a": ("a", "alpha"), "b": ("b", "beta"), "rc": ("rc", "c", "pre", "preview")}
SEP = st.sampled_from(["", ".", "-", "_"])
SPACE = st.sampled_from(["", "", "", " ", "\t", "\n", "  \r\n", "\xa0", "\u2003"])


def cased(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(word, upper, strict=True))
    )


def spelled_number(n: int) -> st.SearchStrategy[str]:
    """*n* in decimal, with leading zeros sometimes."""
    return st.sampled_from(["", "", "0", "00"]).map(lambda zeros: zeros + str(n))


SMALL = st.integers(0, 12) | st.integers(0, 10**9)


@st.composite
def components(draw: st.DrawFn) -> tuple[Any, ...]:
    """What a version is: (epoch, release, pre, post, dev, local), as PEP 440 reads it."""
    epoch = draw(st.none() | st.integers(0, 3))
    release = tuple(draw(st.lists(SMALL, min_size=1, max_size=4)))
    pre = draw(st.none() | st.tuples(st.sampled_from(sorted(PRE)), SMALL))
    post = draw(st.none() | SMALL)
    dev = draw(st.none() | SMALL)
    local = draw(
        st.none()
        | st.lists(
            st.integers(0, 99) | st.text("abcxyz0123456789", min_size=1, max_size=4), min_size=1, max_size=3
        ).map(tuple)
    )
    return epoch, release, pre, post, dev, local


@st.composite
def spell(draw: st.DrawFn, parts: tuple[Any, ...]) -> str:
    """One of the many spellings of a version made of *parts*."""
    epoch, release, pre, post, dev, local = parts
    out = [draw(SPACE), draw(st.sampled_from(["", "", "v", "V"]))]
    if epoch is not None and (epoch != 0 or draw(st.booleans())):
        out.append(draw(spelled_number(epoch)) + "!")
    numbers = [draw(spelled_number(n)) for n in release]
    numbers += ["0"] * draw(st.integers(0, 2))  # trailing zeros change nothing
    out.append(".".join(numbers))
    if pre is not None:
        letter, n = pre
        label = draw(st.sampled_from(PRE[letter]).flatmap(cased))
        # An implicit 0 (``1.0a``); a separator then would join what follows (``1.0a-1``
        # is ``1.0a0.post1``).
        number = "" if n == 0 and draw(st.booleans()) else draw(SEP) + draw(spelled_number(n))
        out.append(draw(SEP) + label + number)
    if post is not None:
        # ``-N`` after an implicit pre-release number would be that number (``1.0a-1``).
        forms = ["post", "rev", "r"] if out[-1][-1:].isalpha() else ["dash", "post", "rev", "r"]
        form = draw(st.sampled_from(forms))
        if form == "dash":
            out.append("-" + draw(spelled_number(post)))
        else:
            number = "" if post == 0 and draw(st.booleans()) else draw(SEP) + draw(spelled_number(post))
            out.append(draw(SEP) + draw(cased(form)) + number)
    if dev is not None:
        number = "" if dev == 0 and draw(st.booleans()) else draw(SEP) + draw(spelled_number(dev))
        out.append(draw(SEP) + draw(cased("dev")) + number)
    if local is not None:
        labels = [draw(spelled_number(p)) if isinstance(p, int) else draw(cased(p)) for p in local]
        text = labels[0]
        for label in labels[1:]:
            text += draw(st.sampled_from(".-_")) + label
        out.append("+" + text)
    out.append(draw(SPACE))
    return "".join(out)


def spelling() -> st.SearchStrategy[str]:
    return components().flatmap(spell)


@st.composite
def changed(draw: st.DrawFn, parts: tuple[Any, ...]) -> tuple[Any, ...]:
    """*parts* with one small change, which may or may not change the version."""
    epoch, release, pre, post, dev, local = parts
    what = draw(st.sampled_from(["epoch", "release", "pre", "post", "dev", "local", "none"]))
    bump = st.none() | st.integers(0, 3)
    if what == "epoch":
        epoch = draw(bump)
    elif what == "release":
        release = (*release, draw(st.integers(0, 1)))
    elif what == "pre":
        pre = draw(st.none() | st.tuples(st.sampled_from(sorted(PRE)), st.integers(0, 2)))
    elif what == "post":
        post = draw(bump)
    elif what == "dev":
        dev = draw(bump)
    elif what == "local":
        local = draw(st.none() | st.sampled_from([("abc",), (1,), ("abc", 1), (0, "x")]))
    return epoch, release, pre, post, dev, local


#: Characters versions are made of, and a few that look like them (the long s, the dotless i and the
#: Kelvin sign match ``s``, ``i`` and ``k`` in a case-insensitive Unicode regex).
NEAR = "0123456789.-_+!vVaAbBcCrRpPeEoOsStTdDlLhHwWiIkKxX \t\n\xa0\u017f\u0131\u0130\u212a\u0663\uff10"


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid spelling with a few characters inserted, removed or replaced: near misses."""
    text = draw(spelling())
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.sampled_from(NEAR))
        if op == "insert":
            text = text[:i] + char + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + 1 :]
        else:
            text = text[:i] + char + text[i + 1 :]
    return text


ANY_TEXT = spelling() | mutated() | st.text(NEAR, max_size=16) | st.text(max_size=12)


# -- properties ----------------------------------------------------------------------------


@FIXED
@given(ANY_TEXT)
@example("1" + "0" * 5000)  # beyond int()'s digit limit: packaging raises ValueError
@example("1.0prev\u0131ew")  # dotless i: a KeyError in the runtime once
@example("1.0+\u017f")
@example("1.0+\u212a")
@example("1.0.po\u017ft1")
def test_valid_exactly_when_packaging_parses(text: str) -> None:
    assert (key(text) is None) == (reference(text) is None), text


@FIXED
@given(components().flatmap(lambda parts: st.tuples(spell(parts), spell(parts))))
def test_spellings_of_one_version_have_one_key(pair: tuple[str, str]) -> None:
    a, b = pair
    assert Version(a) == Version(b), pair  # the generator's own claim
    assert key(a) is not None and key(a) == key(b), pair


@FIXED
@given(spelling())
def test_the_canonical_spelling_has_the_same_key(text: str) -> None:
    """``str(Version(...))`` is the spelling installers write, which :func:`key` reads
    without ``re`` (epoch and local label aside): the same key as any other spelling."""
    canonical = str(Version(text))
    assert key(canonical) == key(text) is not None, (text, canonical)


@FIXED
@given(
    components().flatmap(
        lambda parts: (
            st.tuples(spell(parts), changed(parts).flatmap(spell))
            | st.tuples(spell(parts), spelling())
            | st.tuples(spell(parts), mutated())
        )
    )
)
def test_equal_keys_exactly_when_packaging_says_equal(pair: tuple[str, str]) -> None:
    a, b = pair
    va, vb = reference(a), reference(b)
    ka, kb = key(a), key(b)
    if va is None or vb is None:
        assert (ka is None, kb is None) == (va is None, vb is None), pair
        return
    assert (ka == kb) == (va == vb), pair


@FIXED
@given(
    components().flatmap(
        lambda parts: st.tuples(
            spell(parts),
            changed(parts).flatmap(spell) | spell(parts) | spelling(),
        )
    )
)
def test_pin_holds_exactly_when_the_specifier_contains(pair: tuple[str, str]) -> None:
    pin, version = pair
    pin_key, version_key = key(pin), key(version)
    assert pin_key is not None and version_key is not None, pair
    assert pin_holds(pin_key, version_key) == reference_pin(pin, version), pair


# -- explicit cases --------------------------------------------------------------------------

EQUAL = [
    ("1.16", "1.16.0"),
    ("1.0.0", "1.0"),
    ("1", "1.0.0.0"),
    ("v1.0", "1.0"),
    ("V1.0", "1.0"),
    ("0!1.0", "1.0"),
    ("1.0a", "1.0a0"),
    ("1.0alpha1", "1.0a1"),
    ("1.0-ALPHA-1", "1.0a1"),
    ("1.0beta2", "1.0b2"),
    ("1.0c1", "1.0rc1"),
    ("1.0pre1", "1.0rc1"),
    ("1.0preview1", "1.0rc1"),
    ("1.0RC1", "1.0rc1"),
    ("1.0-1", "1.0.post1"),
    ("1.0.post", "1.0.post0"),
    ("1.0rev2", "1.0.post2"),
    ("1.0-r2", "1.0.post2"),
    ("1.0_post_2", "1.0.post2"),
    ("1.0dev", "1.0.dev0"),
    ("1.0-dev-3", "1.0.dev3"),
    ("1.0+Ubuntu-1", "1.0+ubuntu.1"),
    ("1.0+abc_01", "1.0+abc.1"),
    ("  1.0\n", "1.0"),
    ("01.02", "1.2"),
]
DIFFERENT = [
    ("1!1.0", "1.0"),
    ("1.0+local", "1.0"),
    ("1.0+1", "1.0+01.0"),
    ("1.0a1", "1.0b1"),
    ("1.0.post1", "1.0"),
    ("1.0.dev0", "1.0"),
    ("1.0rc1", "1.0rc1.post1"),
    ("1.0.1", "1.0"),
]
INVALID = [
    "",
    "   ",
    "v",
    "1.",
    ".1",
    "1..0",
    "1.0+",
    "1.0+a..b",
    "1.0++a",
    "1.0-",
    "1.0.dev.post1",
    "1.0 1",
    "1.0.x",
    "1!",
    "!1.0",
    "vv1.0",
    "\u0661.\u0660",  # Arabic-Indic digits
    "1.0\u017f",
    "1.0+\u017f",
    "1.0prev\u0131ew",
    "1" + "0" * 5000,
]
PINS = [
    # (pin, installed, holds)
    ("1.16", "1.16.0", True),
    ("1.16.0", "1.16", True),
    ("1.0", "1.0+local", True),
    ("1.0+local", "1.0", False),
    ("1.0+local", "1.0+LOCAL", True),
    ("1.0+local", "1.0+other", False),
    ("1!1.0", "1.0", False),
    ("1.0", "1!1.0", False),
    ("v1.0", "1.0.0", True),
    ("1.0", "1.0rc1", False),
    ("1.0rc1", "1.0c1", True),
    ("1.0", "1.0.post1", False),
    ("1.0.post1", "1.0-1", True),
    ("1.0", "1.0.dev0", False),
]


@pytest.mark.parametrize(("a", "b"), EQUAL)
def test_equal_spellings(a: str, b: str) -> None:
    assert Version(a) == Version(b)
    assert key(a) == key(b) is not None


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_versions(a: str, b: str) -> None:
    assert Version(a) != Version(b)
    assert key(a) != key(b)


@pytest.mark.parametrize("text", INVALID)
def test_invalid(text: str) -> None:
    assert reference(text) is None
    assert key(text) is None


@pytest.mark.parametrize(("pin", "installed", "holds"), PINS)
def test_pins(pin: str, installed: str, holds: bool) -> None:
    assert reference_pin(pin, installed) is holds
    pin_key, installed_key = key(pin), key(installed)
    assert pin_key is not None and installed_key is not None
    assert pin_holds(pin_key, installed_key) is holds
