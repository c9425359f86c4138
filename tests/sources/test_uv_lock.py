"""uv.lock shaped wrong: the file, the key path, what was expected."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from tests.helpers import ReadError, linux_311, read_bound
from tether.errors import DocumentError
from tether.sources.uv_lock import UvLockReader

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param("uv.dependency-name-a-table.lock",
                     "uv.lock: in 'package[3].dependencies[0].name': expected a string, got a table",
                     id="name-a-table"),
        pytest.param("uv.version-a-boolean.lock", "uv.lock: in 'version': expected an integer, got a boolean",
                     id="bool-is-not-an-int"),
        pytest.param("uv.source-an-array.lock", "uv.lock: in 'package[0].source': expected a table, got an array",
                     id="source-an-array"),
        pytest.param("uv.extra-a-string.lock",
                     "uv.lock: in 'package[0].dependencies[0].extra': expected an array, got a string",
                     id="extra-a-string"),
    ],
)  # fmt: skip
def test_wrong_shapes(read_error: ReadError, data: str, message: str) -> None:
    assert read_error({"uv.lock": ("uv-lock", data)}) == message


def test_the_pyproject_beside_it_is_named_for_its_own_faults(read_error: ReadError) -> None:
    files = {"uv.lock": ("uv-lock", "uv.cyclic.lock"),
             "pyproject.toml": ("uv-lock", "pyproject.default-groups-a-string.toml")}  # fmt: skip
    assert read_error(files) == (
        "pyproject.toml: in 'tool.uv.default-groups': expected an array of group names or 'all', got a string"
    )


FORKED = """\
version = 1
revision = 3
requires-python = ">=3.10"
resolution-markers = ["python_full_version >= '3.12'", "python_full_version < '3.11'"]

[[package]]
name = "app"
version = "0.1"
source = { editable = "." }
dependencies = [{ name = "lib" }]

[[package]]
name = "lib"
version = "1.0"
source = { registry = "https://index.example/simple" }
resolution-markers = ["python_full_version < '3.11'"]

[[package]]
name = "lib"
version = "2.0"
source = { registry = "https://index.example/simple" }
resolution-markers = ["python_full_version >= '3.12'"]
"""


@pytest.mark.parametrize(("python", "version"), [("3.10.16", "1.0"), ("3.12.8", "2.0")])
def test_a_fork_the_edge_does_not_name_is_chosen_by_its_resolution_markers(
    tmp_path: Path, python: str, version: str
) -> None:
    """Where an edge names no version and the lock forks the package, the entry whose
    ``resolution-markers`` hold for the target is taken (the real locks' edges always name
    one, so only this lock reaches that rule)."""
    (tmp_path / "uv.lock").write_text(FORKED)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0.1"\n')
    t = linux_311()
    target = replace(t, markers={**t.markers, "python_full_version": python, "python_version": python[:4]})
    bound = read_bound(UvLockReader(), tmp_path / "uv.lock", target=target)
    assert {(e.name, str(e.specifier)) for e in bound.expectations} == {
        ("app", "==0.1"),
        ("lib", f"=={version}"),
    }


def test_a_fork_no_marker_singles_out_is_refused(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(FORKED)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0.1"\n')
    with pytest.raises(DocumentError, match="several entries for 'lib' and none that the target's markers"):
        read_bound(UvLockReader(), tmp_path / "uv.lock")  # 3.11: neither fork
