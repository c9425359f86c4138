"""The repair command the runtime composes for a verdict (the comparison itself is
covered through ``tether validate`` and the hook, in ``tests/test_parity.py``)."""

from __future__ import annotations

import shlex

import pytest

from tether.runtime.compare import _quote, repair_command

PIP = "/v/bin/python -m pip install -r requirements.txt"
UNINSTALL = "/v/bin/python -m pip uninstall -y {names}"


def finding(name: str, status: str) -> tuple[str, str, str | None, str | None, tuple[str, ...], str]:
    return (name, status, None, None, (), "")


@pytest.mark.parametrize(
    ("repair", "strays", "statuses", "expected"),
    [
        pytest.param(PIP, UNINSTALL, [("idna", "mismatch"), ("six", "unexpected"), ("zope.x", "unexpected")],
                     f"{PIP} && /v/bin/python -m pip uninstall -y six zope.x", id="both"),
        pytest.param(PIP, UNINSTALL, [("idna", "missing")], PIP, id="nothing-stray"),
        pytest.param(PIP, UNINSTALL, [("six", "unexpected")], "/v/bin/python -m pip uninstall -y six",
                     id="only-strays"),
        pytest.param("pipenv sync", "pipenv clean", [("certifi", "missing"), ("six", "unexpected")],
                     "pipenv sync && pipenv clean", id="plain-command"),
        pytest.param("uv sync", "", [("six", "unexpected")], "uv sync", id="sync-removes-strays"),
        pytest.param(PIP, UNINSTALL, [("idna", "leftover"), ("six", "unexpected")],
                     f"{PIP} && /v/bin/python -m pip uninstall -y six", id="other-findings-keep-the-repair"),
        pytest.param("", UNINSTALL, [("x", "missing"), ("a b", "unexpected")],
                     "/v/bin/python -m pip uninstall -y 'a b'", id="no-repair-quoted-name"),
    ],
)  # fmt: skip
def test_repair_command(repair: str, strays: str, statuses: list[tuple[str, str]], expected: str) -> None:
    assert repair_command(repair, strays, [finding(*s) for s in statuses]) == expected


@pytest.mark.parametrize(
    "text", ["six", "zope.interface", "", "a b", "it's", "$HOME", "x;rm", "naïve", "a\nb", "-_@%+=:,./"]
)
def test_quote_is_shlex_quote(text: str) -> None:
    assert _quote(text) == shlex.quote(text)
