"""`tether completion bash|zsh|fish`: scripts generated from the parser, loaded by the shells."""

from __future__ import annotations

import argparse
import shutil
import sys

import pytest

from tests.helpers import clean_env, run, tether, tool
from tether.cli import build_parser

# Completes the words given as arguments (the last one is the word under the cursor) as
# bash does on TAB: COMP_WORDS and COMP_CWORD set, the registered function called.
BASH_COMPLETE = """
source <("$PY" -m tether completion bash) || exit 9
COMP_WORDS=(tether "$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
_tether tether "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\\n' "${COMPREPLY[@]}"
"""


def commands() -> list[str]:
    """The subcommands `tether --help` lists (hidden ones, like site-refresh, left out)."""
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return [a.dest for a in sub._choices_actions if a.help != argparse.SUPPRESS]


def bash_complete(*words: str) -> list[str]:
    proc = run(tool("bash"), "-c", BASH_COMPLETE, "bash", *words, env=clean_env(PY=sys.executable))
    return [line for line in proc.stdout.splitlines() if line]


def test_the_bash_script_loads_and_registers_tether() -> None:
    proc = run(
        tool("bash"),
        "-c",
        'source <("$PY" -m tether completion bash) && complete -p tether',
        env=clean_env(PY=sys.executable),
    )
    assert proc.stdout.strip() == "complete -o default -F _tether tether"
    assert proc.stderr == ""


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        pytest.param(["val"], ["validate"], id="command"),
        pytest.param(["site-"], ["site-install", "site-uninstall", "site-status"], id="hidden-left-out"),
        pytest.param(["-"], ["-h", "--help", "-V", "--version"], id="top-level-options"),
        pytest.param(["validate", "--form"], ["--format"], id="option"),
        pytest.param(
            ["validate", "-q", "--no-"], ["--no-group", "--no-default-groups", "--no-cache"], id="options"
        ),
        pytest.param(["validate", "--format", ""], ["text", "json", "csv", "cyclonedx"], id="choices"),
        pytest.param(["validate", "--format", "=", "j"], ["json"], id="choices-after-equals"),
        pytest.param(["site-install", "--on-drift", "e"], ["exit"], id="subcommand-choices"),
        pytest.param(["validate", "--lock", ""], [], id="path-left-to-bash"),
        pytest.param(["completion", ""], ["bash", "zsh", "fish"], id="positional-choices"),
    ],
)
def test_bash_completes(words: list[str], expected: list[str]) -> None:
    assert bash_complete(*words) == expected


def test_bash_offers_every_visible_command() -> None:
    assert bash_complete("") == commands()


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_name_every_command(shell: str) -> None:
    proc = tether("completion", shell)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    for name in commands():
        assert name in proc.stdout, name
    assert "site-refresh" not in proc.stdout


def test_the_zsh_script_loads() -> None:
    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.skip("zsh is not installed (only its script's contents are checked)")
    proc = run(
        zsh,
        "-f",
        "-c",
        'autoload -U compinit && compinit -u -D && source <("$PY" -m tether completion zsh) '
        '&& print -r -- "$_comps[tether]"',
        env=clean_env(PY=sys.executable),
    )
    assert proc.stdout.strip() == "_tether"


def test_the_fish_script_loads_and_completes() -> None:
    fish = shutil.which("fish")
    if fish is None:
        pytest.skip("fish is not installed (only its script's contents are checked)")
    proc = run(
        fish,
        "--no-config",
        "-c",
        '"$PY" -m tether completion fish | source; complete -C "tether val"',
        env=clean_env(PY=sys.executable),
    )
    assert proc.stdout.split("\t")[0].strip() == "validate"


def test_an_unknown_shell_is_a_usage_error() -> None:
    proc = tether("completion", "tcsh")
    assert proc.returncode == 2
    assert "invalid choice: 'tcsh'" in proc.stderr
