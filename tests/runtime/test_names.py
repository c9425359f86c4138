"""The runtime's PEP 503 names (stdlib only) against ``packaging.utils.canonicalize_name``."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from tether.runtime.names import canonical

FIXED = settings(max_examples=300, derandomize=True, database=None, deadline=None)

#: Name-like pieces: letters of both cases, digits, and runs of the separators.
PIECE = st.text("abcxyzABCXYZ019", min_size=1, max_size=4) | st.text("-_.", min_size=1, max_size=4)
NAME = st.lists(PIECE, min_size=1, max_size=6).map("".join)
#: What a METADATA ``Name:`` header may hold when it is not a valid name at all.
JUNK = st.text(max_size=12) | st.text("-_. aA1\u017f\u0130\u0131K\u212a\u0130", max_size=10)


@settings(FIXED)
@given(NAME | JUNK)
@example("Six_")
@example("zope.interface")
@example("Foo--Bar__baz..QUX")
@example("-_.")
@example("\u0130stanbul")  # lower() lengthens it: still the same on both sides
def test_canonical_is_packaging_canonicalize_name(name: str) -> None:
    assert canonical(name) == canonicalize_name(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Six_", "six-"),
        ("charset_normalizer", "charset-normalizer"),
        ("Charset.Normalizer", "charset-normalizer"),
        ("ruamel.yaml.clib", "ruamel-yaml-clib"),
        ("A-_.-B", "a-b"),
        ("", ""),
    ],
)
def test_explicit_names(name: str, expected: str) -> None:
    assert canonical(name) == canonicalize_name(name) == expected
