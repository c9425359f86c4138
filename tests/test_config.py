"""Configuration: tether.toml and [tool.tether], TETHER_* variables, the command line."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from tests.helpers import MakeDistVenv
from tether import _cache
from tether.cli import build_parser, main
from tether.config import DEFAULTS, ENV_VARS, apply, load_config


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository of its own as the working directory, no TETHER_* from outside."""
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TETHER_CACHE_DIR", str(tmp_path / "cache"))
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    monkeypatch.chdir(project)
    return project


#: key: (TOML value in the file, variable value, command line, and what each gives).
LAYERS: dict[str, tuple[str, str, list[str], tuple[object, object, object, object]]] = {
    "lock": ('"file.txt"', "env.txt", ["--lock", "cli.txt"], (None, "file.txt", "env.txt", "cli.txt")),
    "ignore": ('["f"]', "e1, e2", ["--ignore", "c"], ([], ["f"], ["e1", "e2"], ["c"])),
    "on-drift": ('"exit"', "warn", ["--on-drift", "exit"], ("warn", "exit", "warn", "exit")),
    "groups": ('["f"]', "e", ["--group", "c"], ([], ["f"], ["e"], ["c"])),
    "exempt": ('["f"]', "e", ["--exempt", "c"], ([], ["f"], ["e"], ["c"])),
}
ATTR = {"lock": "lock", "ignore": "ignore", "on-drift": "on_drift", "groups": "group", "exempt": "exempt"}


@pytest.mark.parametrize("key", LAYERS)
@pytest.mark.parametrize(("in_file", "in_env", "on_line"), list(itertools.product((False, True), repeat=3)))
def test_precedence(
    key: str, in_file: bool, in_env: bool, on_line: bool, _isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml, env, line, gives = LAYERS[key]
    if in_file:
        (_isolated / "tether.toml").write_text(f"{key} = {toml}\n")
    if in_env:
        monkeypatch.setenv("TETHER_" + key.upper().replace("-", "_"), env)
    args = build_parser().parse_args(["site-install", *(line if on_line else [])])
    origins = apply(load_config(), args)
    # The command line > the environment > the file > the default.
    layer = 3 if on_line else 2 if in_env else 1 if in_file else 0
    assert getattr(args, ATTR[key]) == gives[layer]
    origin = ("default", f"tether.toml: {key}", f"TETHER_{key.upper().replace('-', '_')}", "command line")
    assert origins[key] == origin[layer]


def test_a_list_on_the_command_line_replaces_the_files(_isolated: Path) -> None:
    (_isolated / "tether.toml").write_text('ignore = ["a", "b"]\nextras = ["x"]\n')
    args = build_parser().parse_args(["validate", "--ignore", "c"])
    apply(load_config(), args)
    assert (args.ignore, args.extra) == (["c"], ["x"])


def test_every_variable_read_is_part_of_the_cache_key() -> None:
    assert set(ENV_VARS) <= set(_cache._ENV_KEYS)
    assert len(ENV_VARS) == len(DEFAULTS)


def test_tether_toml_beats_tool_tether_and_is_found_from_a_subfolder(
    _isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (_isolated / "pyproject.toml").write_text('[project]\nname = "p"\n[tool.tether]\nlock = "a.txt"\n')
    sub = _isolated / "src" / "pkg"
    sub.mkdir(parents=True)
    os.chdir(sub)
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "lock = ../../a.txt  (../../pyproject.toml: tool.tether.lock)\n" in out
    assert "ignore = []  (default)\n" in out
    (_isolated / "tether.toml").write_text('lock = "b.txt"\n')
    assert main(["config"]) == 0
    assert "lock = ../../b.txt  (../../tether.toml: lock)\n" in capsys.readouterr().out


def test_a_pyproject_without_tool_tether_is_passed_over_up_to_the_repository_root(
    _isolated: Path, tmp_path: Path
) -> None:
    (tmp_path / "tether.toml").write_text('lock = "outside.txt"\n')  # above the root: not read
    (_isolated / "tether.toml").write_text('lock = "root.txt"\n')
    member = _isolated / "member"
    member.mkdir()
    (member / "pyproject.toml").write_text('[project]\nname = "m"\n')
    config = load_config(member)
    assert (config.values["lock"], config.file) == (os.path.relpath(_isolated / "root.txt"), "tether.toml")
    (_isolated / "tether.toml").unlink()
    assert load_config(member).file is None


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("tether.toml", "lockfile = 'x'\n", "tether.toml: in 'lockfile': unknown key"),
        (
            "pyproject.toml",
            "[tool.tether]\nignore = 'six'\n",
            "pyproject.toml: in 'tool.tether.ignore': expected an array of strings, got a string",
        ),
        (
            "tether.toml",
            "extras = ['a', 1]\n",
            "tether.toml: in 'extras[1]': expected a string, got an integer",
        ),
        ("tether.toml", "lock = 3\n", "tether.toml: in 'lock': expected a string, got an integer"),
        (
            "tether.toml",
            "on-drift = 'stop'\n",
            "tether.toml: in 'on-drift': expected 'warn' or 'exit', got 'stop'",
        ),
        ("pyproject.toml", "[tool]\ntether = 1\n", "pyproject.toml: in 'tool.tether': expected a table"),
        ("tether.toml", "ignore = [\n", "tether.toml:2: invalid TOML: Invalid value"),
    ],
)
@pytest.mark.parametrize("command", [["config"], ["validate", "--lock", "requirements.txt"]])
def test_bad_configuration_is_one_line_naming_the_file_and_key(
    file: str,
    text: str,
    message: str,
    command: list[str],
    _isolated: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (_isolated / file).write_text(text)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tether: error: {message}")
    assert err.count("\n") == 1


def test_a_bad_variable_is_named(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TETHER_ON_DRIFT", "sometimes")
    assert main(["config"]) == 2
    assert (
        capsys.readouterr().err
        == "tether: error: TETHER_ON_DRIFT: expected 'warn' or 'exit', got 'sometimes'\n"
    )


def test_validate_reads_the_configuration(
    _isolated: Path, dist_venv: MakeDistVenv, capsys: pytest.CaptureFixture[str]
) -> None:
    venv = dist_venv({"six": "1.16.0", "idna": "3.6"})
    (_isolated / "locks").mkdir()
    (_isolated / "locks" / "prod.txt").write_text("six==1.16.0\n")
    (_isolated / "pyproject.toml").write_text('[tool.tether]\nlock = "locks/prod.txt"\nignore = ["idna"]\n')
    assert main(["validate", "-p", str(venv), "--no-cache"]) == 0
    assert "locks/prod.txt" in capsys.readouterr().out
    # The command line's list replaces the file's: idna is judged again.
    assert main(["validate", "-p", str(venv), "--no-cache", "--ignore", "six"]) == 1


def test_a_cached_validate_notices_a_new_or_changed_configuration(
    _isolated: Path,
    dist_venv: MakeDistVenv,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    venv = dist_venv({"six": "1.16.0", "idna": "3.6"})
    (_isolated / "requirements.txt").write_text("six==1.16.0\n")
    sub = _isolated / "sub"
    sub.mkdir()
    os.chdir(sub)
    argv = ["validate", "-p", str(venv)]

    def agree() -> int:
        """The cached answer, checked against one computed afresh."""
        capsys.readouterr()
        cached = main(argv)
        out = capsys.readouterr().out
        assert main([*argv, "--no-cache"]) == cached
        assert capsys.readouterr().out == out
        return cached

    assert agree() == 1  # idna is not in the lock
    assert main(argv) == 1  # and now from the cache
    # A configuration appears in a parent directory searched: the cache must not answer.
    (_isolated / "tether.toml").write_text('ignore = ["idna"]\n')
    assert agree() == 0
    # Edited in place, in the same second and at the same size.
    (_isolated / "tether.toml").write_text('ignore = ["idnb"]\n')
    assert agree() == 1
    # One in the working directory takes over.
    (sub / "tether.toml").write_text('ignore = ["idna"]\n')
    assert agree() == 0
    # Then the environment, over the file.
    monkeypatch.setenv("TETHER_IGNORE", "nothing")
    assert agree() == 1
    monkeypatch.delenv("TETHER_IGNORE")
    # What the command line was parsed into is remembered with the configuration read:
    # when it changes, the command line means something else.
    assert main(argv) == 0
    (sub / "tether.toml").write_text('ignore = ["idnb"]\n')
    assert agree() == 1


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_configuration_that_is_not_a_file_is_refused_not_waited_on(
    kind: str, _isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _isolated / "tether.toml"
    if kind == "fifo":
        os.mkfifo(path)  # an open would wait for a writer forever
    else:
        path.mkdir()
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tether: error: tether.toml: ") and err.count("\n") == 1
