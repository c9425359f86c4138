"""What :func:`tether.runtime.recheck.process_name` makes of an ancestor's command line:
the subcommand decides whether a start it made is exempt (a repair) or checked (a run)."""

from __future__ import annotations

import pytest

from tether.runtime.recheck import RUNNERS, process_name


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/usr/bin/uv", "run", "app.py"], ("uv", "run")),
        # An option's value before the subcommand is not the subcommand.
        (["/usr/bin/uv", "--directory", "proj", "run", "app.py"], ("uv", "run")),
        (["/usr/bin/uv", "-p", "3.12", "run", "app.py"], ("uv", "run")),
        (["/v/bin/python", "/v/bin/poetry", "-C", "dir", "run", "app"], ("poetry", "run")),
        (["/v/bin/python", "/v/bin/pipenv", "--python", "3.11", "run", "app"], ("pipenv", "run")),
        # Repairs stay repairs, whatever their arguments are called.
        (["/usr/bin/uv", "pip", "install", "run"], ("uv", "pip")),
        (["/usr/bin/uv", "-p", "3.12", "sync"], ("uv", "sync")),
        (["/usr/bin/python3", "-m", "pip", "install", "x"], ("pip", "install")),
        # No known word: the first that is no option, as before.
        (["/v/bin/python", "-I", "/v/bin/pip-sync", "r.txt"], ("pip-sync", "r.txt")),
        ([], ("", "")),
    ],
)
def test_subcommand_after_option_values(argv: list[str], expected: tuple[str, str]) -> None:
    assert process_name(argv) == expected


def test_runs_behind_options_are_not_exempt() -> None:
    """``uv --directory proj run app.py`` runs a program: what it starts is checked."""
    assert process_name(["uv", "--directory", "proj", "run", "app.py"])[1] in RUNNERS
