"""Bad native locks: one line naming the file and what was wrong, exit 2; and what is not
an error (a cycle, a uv.lock without its pyproject) behaves as the tool would."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers import MakeDistVenv, cli, data_file, tether


def placed(tmp_path: Path, data: tuple[str, str], name: str) -> Path:
    """A data file copied under the name its tool gives it."""
    target = tmp_path / "project" / name
    target.parent.mkdir(exist_ok=True)
    shutil.copy(data_file(*data), target)
    return target


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (("uv-lock", "uv.future-schema.lock"), "uv.lock",
         ": in 'version': uv.lock schema version 2 is not supported; expected 1"),
        (("uv-lock", "uv.no-version-no-source.lock"), "uv.lock",
         ": in 'package[1]': a package needs a version or a source"),
        (("poetry-lock", "poetry.future.lock"), "poetry.lock",
         ": in 'metadata.lock-version': lock-version '3.0' is not supported; expected one of 1.1, 2.0, 2.1"),
        (("pipfile-lock", "Pipfile.future.lock"), "Pipfile.lock",
         ": in '_meta.pipfile-spec': pipfile-spec 7 is not supported; expected 6"),
        (("pipfile-lock", "Pipfile.no-version-no-source.lock"), "Pipfile.lock",
         ": in 'default.a': a package listed with no version and no source"),
        (("pixi-lock", "pixi.future.lock"), "pixi.lock",
         ": in 'version': pixi lock version 9 is not supported; expected one of 5, 6, 7"),
        (("pixi-lock", "pixi.not-pixi.lock"), "pixi.lock",
         ": not a pixi lock file (expected 'version', 'environments' and 'packages')"),
        (("uv-lock", "uv.bad-requires-python.lock"), "uv.lock",
         ": in 'requires-python': invalid specifier 'not a spec'; expected a PEP 440 range"),
        (("poetry-lock", "poetry.dependencies-not-a-table.lock"), "poetry.lock",
         ": in 'package[0].dependencies': expected a table, got a string"),
        (("pipfile-lock", "Pipfile.extras-not-a-list.lock"), "Pipfile.lock",
         ": in 'default.a.extras': expected an array, got an integer"),
        (("pixi-lock", "pixi.environment-not-a-mapping.lock"), "pixi.lock",
         ": in 'environments.default': expected a mapping, got an integer"),
        (("pixi-lock", "pixi.conda-file-name.lock"), "pixi.lock",
         ": in 'environments.default.packages.linux-64[0].conda': conda package "
         "'https://conda.anaconda.org/conda-forge/noarch/weird.conda' has no name and its file name is "
         "not name-version-build"),
        (("pixi-lock", "pixi.bad-yaml.lock"), "pixi.lock",
         ":7: invalid YAML: did not find expected ',' or ']'"),
    ],
)  # fmt: skip
def test_bad_locks(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: tuple[str, str], name: str,
                   message: str) -> None:  # fmt: skip
    lock = placed(tmp_path, data, name)
    if name == "poetry.lock":  # poetry reads the groups from the pyproject beside its lock
        shutil.copy(
            data_file("poetry-lock", "pyproject.for-poetry-locks.toml"), lock.parent / "pyproject.toml"
        )
    code, out, err = cli(capsys, "validate", "-p", sys.executable, "--lock", lock)
    assert (code, out) == (2, "")
    assert err == f"tether: error: {lock}{message}\n"


@pytest.fixture
def venv(dist_venv: MakeDistVenv) -> Path:
    return dist_venv({"a": "1.0", "b": "2.0"})


def test_cycles_are_walked_once(tmp_path: Path, venv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = placed(tmp_path, ("uv-lock", "uv.cyclic.lock"), "uv.lock")
    (lock.parent / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0.1"\n')
    # c is Windows-only; app is virtual (never installed).
    assert cli(capsys, "validate", "-p", venv, "--lock", lock)[:2] == (
        0, f"valid: 2 installed distributions of {venv / 'bin' / 'python'} match {lock}\n")  # fmt: skip


def test_uv_lock_without_pyproject_says_what_it_assumed(tmp_path: Path, venv: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    lock = placed(tmp_path, ("uv-lock", "uv.cyclic.lock"), "uv.lock")
    code, _, err = cli(capsys, "validate", "-p", venv, "--lock", lock)
    assert code == 0
    assert err == f"tether: note: {lock}: no pyproject.toml beside it; assumed uv's default groups (dev)\n"


def _nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


# A value nested deeper than the parsers recurse (tomllib gives up near 500 levels, json
# near 1000 on Python 3.10 to 3.12 and about 8000 on 3.13, PyYAML's pure-Python loader
# near 1000): one line naming the file, never a traceback.
@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        pytest.param("uv.lock", f"version = 1\nz = {_nested(500)}\n", "too deeply nested", id="uv.lock"),
        pytest.param("poetry.lock", f"z = {_nested(500)}\n", "too deeply nested", id="poetry.lock"),
        pytest.param("pylock.toml", f"z = {_nested(500)}\n", "too deeply nested", id="pylock.toml"),
        pytest.param("pyproject.toml", f"[project]\nz = {_nested(500)}\n", "too deeply nested", id="pyproject"),
        pytest.param("pyproject.toml", f"z = {_nested(500, '{a=', '}')}\n", "too deeply nested",
                     id="inline-tables"),
        pytest.param("Pipfile.lock", f'{{"_meta": {{"pipfile-spec": 6}}, "z": {_nested(100_000)}}}',
                     "too deeply nested", id="Pipfile.lock"),
        # 500 levels are within json's reach: where the reader looks, the type is named.
        pytest.param("Pipfile.lock", f'{{"_meta": {{"pipfile-spec": 6}}, "default": {_nested(500)}}}',
                     "in 'default': expected an object, got an array", id="Pipfile.lock-500"),
    ],
)  # fmt: skip
def test_deep_nesting(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str,
                      message: str) -> None:  # fmt: skip
    lock = tmp_path / name
    lock.write_text(text)
    code, out, err = cli(capsys, "validate", "-p", sys.executable, "--lock", lock)
    assert (code, out) == (2, "")
    assert (
        err.startswith(f"tether: error: {lock}") and err.endswith(f": {message}\n") and err.count("\n") == 1
    )


def test_deep_nesting_in_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = tmp_path / "pixi.lock"
    lock.write_text(f"version: 6\nenvironments: {_nested(5000)}\npackages: []\n")
    code, out, err = cli(capsys, "validate", "-p", sys.executable, "--lock", lock)
    assert (code, out) == (2, "")
    # libyaml stops at its own depth limit; PyYAML's pure-Python loader would recurse.
    assert err in {f"tether: error: {lock}:2: invalid YAML: exceeded maximum nesting depth\n",
                   f"tether: error: {lock}: too deeply nested\n"}  # fmt: skip


def test_deep_nesting_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(f"version = 1\nz = {_nested(500)}\n")
    proc = tether("validate", "-p", sys.executable, cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        2,
        "",
        "tether: error: uv.lock: too deeply nested\n",
    )
