"""Documents that are valid TOML, JSON or YAML but shaped unlike their format: every value
of a small lock that uses each key its reader reads is replaced, in turn, by a value of
each other type (and removed), and the reader must say what was expected where, never
fall back to the boundary's generic "unexpected structure" (nor raise anything else)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.helpers import linux_311
from tests.mutate import DELETE, mutated, paths
from tether.errors import BoundError
from tether.sources import Selection, load_bound

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

#: A value of each type the formats have, put in place of every value in turn.
_WRONG: tuple[object, ...] = ({"k": "v"}, ["x"], "s", 7, 1.5, True, DELETE)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml_value, value)) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def to_toml(document: dict[str, Any]) -> str:
    """A TOML document of inline values (what tomllib parses back into *document*)."""
    return "".join(f"{json.dumps(k)} = {_toml_value(v)}\n" for k, v in document.items())


def to_yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False)


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1)


@dataclass(frozen=True)
class Case:
    """A valid document, the name it is read under and how it is written."""

    name: str
    document: dict[str, Any]
    write: Callable[[dict[str, Any]], str]
    selection: Selection = field(default_factory=Selection)
    #: Files written beside it, unchanged.
    beside: tuple[tuple[str, str], ...] = ()


INDEX = "https://index.example/simple"
UV_LOCK = {
    "version": 1,
    "revision": 3,
    "requires-python": ">=3.8",
    "manifest": {"members": ["app", "member"], "dependency-groups": {"dev": [{"name": "member"}]}},
    "package": [
        {"name": "app", "version": "0.1", "source": {"editable": "."},
         "dependencies": [{"name": "a", "marker": "python_version >= '3'", "extra": ["x"]},
                          {"name": "d", "version": "1.0", "source": {"registry": INDEX}}],
         "optional-dependencies": {"cli": [{"name": "b"}]},
         "dev-dependencies": {"dev": [{"name": "c"}]}},
        {"name": "a", "version": "1.0", "source": {"registry": INDEX}, "dependencies": [{"name": "d"}],
         "optional-dependencies": {"x": [{"name": "e"}]}},
        {"name": "b", "version": "2.0", "source": {"git": "https://git.example/b?rev=v2#0123abcd"}},
        {"name": "c", "version": "3.0", "source": {"url": "https://files.example/c-3.0.tar.gz"}},
        {"name": "d", "version": "1.0", "source": {"registry": INDEX},
         "resolution-markers": ["python_version >= '3'"]},
        {"name": "d", "version": "2.0", "source": {"registry": INDEX},
         "resolution-markers": ["python_version < '3'"]},
        {"name": "e", "version": "1.0", "source": {"path": "e-1.0-py3-none-any.whl"}},
        {"name": "member", "version": "0.1", "source": {"directory": "member"}},
        {"name": "v", "source": {"virtual": "v"}},
    ],
}  # fmt: skip
UV_PYPROJECT = {"project": {"name": "app", "version": "0.1"}, "tool": {"uv": {"default-groups": ["dev"]}}}

POETRY_PACKAGES: list[dict[str, Any]] = [
    {"name": "a", "version": "1.0", "python-versions": ">=3.8", "markers": "python_version >= '3'",
     "dependencies": {"b": ">=1", "c": {"version": "^2.0", "markers": "python_version >= '3'",
                                        "optional": True, "extras": ["x"]},
                      "d": [{"version": "1.0", "python": ">=3.8"}, {"version": "2.0", "python": "<3.8"}]},
     "extras": {"x": ["c (>=2.0)"]}},
    {"name": "b", "version": "1.5", "source": {"type": "git", "url": "https://git.example/b",
                                               "reference": "main", "resolved_reference": "0123abcd"}},
    {"name": "c", "version": "2.1", "source": {"type": "url", "url": "https://files.example/c.tar.gz"}},
    {"name": "d", "version": "1.0", "python-versions": ">=3.8"},
    {"name": "d", "version": "2.0", "python-versions": "<3.8"},
    {"name": "e", "version": "1.0", "source": {"type": "directory", "url": "e"}, "develop": True},
    {"name": "f", "version": "1.0", "source": {"type": "file", "url": "f-1.0-py3-none-any.whl"}},
]  # fmt: skip
POETRY_LOCK_20 = {"metadata": {"lock-version": "2.0", "content-hash": "x"}, "package": POETRY_PACKAGES}
POETRY_LOCK_21 = {
    "metadata": {"lock-version": "2.1", "content-hash": "x"},
    "package": [
        {**POETRY_PACKAGES[0], "groups": ["main"], "markers": {"main": "python_version >= '3'"}},
        {**POETRY_PACKAGES[1], "groups": ["main", "dev"], "markers": "python_version >= '3'"},
        *POETRY_PACKAGES[2:],
    ],
}
POETRY_PYPROJECT = {
    "project": {"name": "p", "version": "1", "dependencies": ["a[x]>=1", "e ; python_version >= '3'"],
                "optional-dependencies": {"opt": ["f"]}},
    "tool": {"poetry": {"package-mode": True, "dependencies": {"python": "^3.9", "b": {"version": ">=1"}},
                        "group": {"dev": {"optional": False, "dependencies": {"f": "*"}}},
                        "dev-dependencies": {"d": "1.0"}, "extras": {"more": ["f"]}}},
    "dependency-groups": {"test": ["b", {"include-group": "other"}], "other": ["c"]},
}  # fmt: skip

PIPFILE_LOCK = {
    "_meta": {"pipfile-spec": 6, "requires": {}, "sources": []},
    "default": {
        "a": {"version": "==1.0", "markers": "python_version >= '3'", "extras": ["x"]},
        "b": {"git": "https://git.example/b", "ref": "0123456789abcdef0123456789abcdef01234567",
              "subdirectory": "sub"},
        "c": {"path": ".", "editable": True},
        "d": {"file": "https://files.example/d-1.0-py3-none-any.whl", "version": "*"},
    },
    "develop": {"e": {"version": "==2.0"}},
}  # fmt: skip

CONDA = "https://conda.example/linux-64/"
WHEEL = "https://files.example/idna-3.6-py3-none-any.whl"
PIXI_LOCK_6 = {
    "version": 6,
    "environments": {"default": {"channels": [{"url": "https://conda.example/"}], "packages": {"linux-64": [
        {"conda": f"{CONDA}libzlib-1.3.1-h0_2.conda"}, {"conda": f"{CONDA}six-1.16.0-py_0.conda"},
        {"pypi": WHEEL}, {"pypi": "./local"}, {"pypi": "git+https://git.example/g#0123abcd"},
    ]}}},
    "packages": [
        {"conda": f"{CONDA}libzlib-1.3.1-h0_2.conda", "name": "libzlib", "version": "1.3.1"},
        {"conda": f"{CONDA}six-1.16.0-py_0.conda"},
        {"pypi": WHEEL, "name": "idna", "version": "3.6"},
        {"pypi": "./local", "name": "local", "editable": True},
        {"pypi": "git+https://git.example/g#0123abcd", "name": "g", "version": "1.0"},
    ],
}  # fmt: skip
PIXI_LOCK_5 = {
    "version": 5,
    "environments": {"default": {"packages": {"linux-64": [
        {"conda": f"{CONDA}libzlib-1.3.1-h0_2.conda"}, {"pypi": WHEEL}]}}},
    "packages": [
        {"kind": "conda", "name": "libzlib", "version": "1.3.1", "url": f"{CONDA}libzlib-1.3.1-h0_2.conda"},
        {"kind": "pypi", "name": "idna", "version": "3.6", "url": WHEEL},
    ],
}  # fmt: skip

PYPROJECT = {
    "project": {"name": "demo", "version": "1", "dynamic": ["readme"],
                "dependencies": ["requests>=2", "tomli; python_version < '3.11'"],
                "optional-dependencies": {"cli": ["rich", "demo[other]"], "other": ["click"]}},
    "dependency-groups": {"dev": ["pytest", {"include-group": "test"}], "test": ["coverage"]},
}  # fmt: skip

PYLOCK = {
    "lock-version": "1.0",
    "created-by": "tests",
    "requires-python": ">=3.8",
    "extras": ["cli"],
    "dependency-groups": ["dev"],
    "default-groups": [],
    "packages": [
        {"name": "a", "version": "1.0", "wheels": [{
            "name": "a-1.0-py3-none-any.whl", "url": "https://files.example/a-1.0-py3-none-any.whl",
            "hashes": {"sha256": "00"}}]},
        {"name": "b", "marker": "'cli' in extras",
         "vcs": {"type": "git", "url": "https://git.example/b", "commit-id": "0123abcd"}},
        {"name": "c", "marker": "'dev' in dependency_groups",
         "directory": {"path": "c", "editable": True}},
    ],
}  # fmt: skip

CASES = {
    "uv.lock": Case("uv.lock", UV_LOCK, to_toml, Selection(extras=("cli",)),
                    (("pyproject.toml", to_toml(UV_PYPROJECT)),)),
    "uv.lock all packages": Case("uv.lock", UV_LOCK, to_toml, Selection(all_packages=True, only_groups=("dev",))),
    "uv.lock pyproject": Case("pyproject.toml", UV_PYPROJECT, to_toml, beside=(("uv.lock", to_toml(UV_LOCK)),)),
    "poetry.lock 2.0": Case("poetry.lock", POETRY_LOCK_20, to_toml, Selection(extras=("opt",)),
                            (("pyproject.toml", to_toml(POETRY_PYPROJECT)),)),
    "poetry.lock 2.1": Case("poetry.lock", POETRY_LOCK_21, to_toml, Selection(groups=("test",)),
                            (("pyproject.toml", to_toml(POETRY_PYPROJECT)),)),
    "poetry.lock pyproject": Case("pyproject.toml", POETRY_PYPROJECT, to_toml, Selection(extras=("opt",)),
                                  (("poetry.lock", to_toml(POETRY_LOCK_20)),)),
    "Pipfile.lock": Case("Pipfile.lock", PIPFILE_LOCK, to_json, Selection(groups=("dev",))),
    "pixi.lock 6": Case("pixi.lock", PIXI_LOCK_6, to_yaml),
    "pixi.lock 5": Case("pixi.lock", PIXI_LOCK_5, to_yaml),
    "pyproject.toml": Case("pyproject.toml", PYPROJECT, to_toml, Selection(extras=("cli",), groups=("dev",))),
    "pylock.toml": Case("pylock.toml", PYLOCK, to_toml, Selection(extras=("cli",), groups=("dev",))),
}  # fmt: skip


def _read(directory: Path, case: Case, document: dict[str, Any]) -> str | None:
    """The error reading *document* as *case* gives, ``None`` if it reads."""
    (directory / case.name).write_text(case.write(document), encoding="utf-8")
    for name, text in case.beside:
        (directory / name).write_text(text, encoding="utf-8")
    # The companion pyproject cases are read through the lock beside them.
    lock = next((n for n, _ in case.beside if n.endswith(".lock")), case.name)
    try:
        load_bound(str(directory / lock), linux_311(), case.selection)
    except BoundError as e:
        return str(e)
    return None


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_the_valid_document_reads(tmp_path: Path, case: Case) -> None:
    assert _read(tmp_path, case, case.document) is None


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_every_wrong_shape_is_named(tmp_path: Path, case: Case) -> None:
    unforeseen = []
    for path in paths(case.document):
        for value in _WRONG:
            error = _read(tmp_path, case, mutated(case.document, path, value))
            if error is not None and "unexpected structure" in error:
                shown = "removed" if value is DELETE else repr(value)
                unforeseen.append(f"{'.'.join(map(str, path))} {shown}: {error}")
    assert unforeseen == []
