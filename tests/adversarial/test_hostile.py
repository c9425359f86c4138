"""A table of hostile bounds, each with the one line it must give (or that it reads), in
time: special files, include graphs, nesting, numbers no comparison reads, markers that
compare what cannot be compared, paths that cannot be resolved. Hostile servers and git
repositories are in ``tests/sources/test_remote.py``; what a cached answer depends on in
``test_stale_bounds.py``."""

from __future__ import annotations

import os
import socket
import tempfile
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from tests.adversarial.harness import CASE_LIMIT, time_limit
from tests.helpers import linux_311
from tether.errors import BoundError
from tether.sources import MAX_BYTES, Selection, load_bound

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

BIG = "9" * 5000
DEEP_TOML = "[" * 600 + "]" * 600
# Deeper than any json recurses: Python 3.13's C scanner has a limit of its own, about
# 8,000 levels, where 3.10 to 3.12 stop at the recursion limit (1,000).
DEEP_JSON = "[" * 100_000 + "]" * 100_000
NESTED_MARKER = "six; " + "(" * 300 + "os_name == 'nt'" + ")" * 300
UV_HEAD = 'version = 1\nrequires-python = ">=3.8"\n'
ROOT = '[[package]]\nname = "app"\nversion = "0.1"\nsource = {{ editable = "." }}\ndependencies = [{dep}]\n\n'
SIX = '[[package]]\nname = "six"\nversion = "{version}"\nsource = {{ {source} }}\n'
REGISTRY = 'registry = "https://i.example/simple"'
PIPFILE = '{{"_meta": {{"pipfile-spec": 6}}, "default": {{"six": {entry}}}}}'
PIXI = ("version: 6\nenvironments:\n  default:\n    packages:\n      linux-64:\n      - pypi: {ref}\n"
        "packages:\n- pypi: {ref}\n  name: six\n  version: '{version}'\n")  # fmt: skip
POETRY = ('[[package]]\nname = "six"\nversion = "{version}"\noptional = false\npython-versions = "*"\n'
          'groups = ["main"]\n{extra}\n[metadata]\nlock-version = "2.1"\n')  # fmt: skip
PYPROJECT = '[project]\nname = "p"\nversion = "1"\ndependencies = [{deps}]\n'
PYLOCK = 'lock-version = "1.0"\ncreated-by = "t"\n[[packages]]\nname = "six"\nversion = "{version}"\n{extra}'


def uv(dep: str = '{ name = "six" }', version: str = "1.16.0", source: str = REGISTRY) -> str:
    return UV_HEAD + ROOT.format(dep=dep) + SIX.format(version=version, source=source)


@dataclass(frozen=True)
class Hostile:
    """Files to write (text, or a function making something special at the path), the
    bound to read, and the message expected: ``{dir}`` is the folder; ``None``: it reads."""

    files: dict[str, str | Callable[[Path], None]]
    bound: str
    message: str | None
    selection: Selection = field(default_factory=Selection)


def fifo(path: Path) -> None:
    os.mkfifo(path)


def sparse(size: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with path.open("wb") as f:
            f.truncate(size)

    return make


def link(to: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.symlink_to(to)

    return make


def folder(path: Path) -> None:
    path.mkdir()


FIFO = "is a named pipe (FIFO); expected a regular file (a pipe can be the bound itself, read once: --lock /dev/stdin)"
TOO_LARGE = f"is larger than 64 MiB ({MAX_BYTES + 1} bytes), the most tether reads of a bound file"
TOO_LONG = "has a number too long to compare"


def int_limit_message() -> str:
    """The message of this Python's ValueError for a 5000-digit int: tether passes it on,
    and its wording changed in 3.11 ("the limit (4300)" became "(4300 digits)")."""
    try:
        int(BIG)
    except ValueError as e:
        return str(e)
    raise AssertionError("no limit on int() digits in this Python (3.10.7+, 3.11+ have it)")


INT_LIMIT = int_limit_message()
CASES: dict[str, Hostile] = {
    # Special files, refused by type before anything is read.
    "lock is /dev/zero": Hostile({}, "/dev/zero", "/dev/zero: is a character device; expected a regular file"),
    "lock is /dev/urandom": Hostile({}, "/dev/urandom",
                                    "/dev/urandom: is a character device; expected a regular file"),
    "lock is a FIFO": Hostile({"uv.lock": fifo}, "uv.lock", f"{{dir}}/uv.lock: {FIFO}"),
    "auto-detected FIFO": Hostile({"requirements.txt": fifo}, ".", f"{{dir}}/requirements.txt: {FIFO}"),
    "auto-detected folder": Hostile({"uv.lock": folder}, ".",
                                    "{dir}/uv.lock: is a directory; expected a lock or requirements file"),
    "lock too large": Hostile({"uv.lock": sparse(MAX_BYTES + 1)}, "uv.lock", f"{{dir}}/uv.lock: {TOO_LARGE}"),
    "lock a symlink loop": Hostile({"uv.lock": link("uv.lock")}, "uv.lock",
                                   "{dir}/uv.lock: cannot read it (Too many levels of symbolic links)"),
    "lock name too long": Hostile({}, "x" * 300 + ".txt", "{dir}/" + "x" * 300 + ".txt: cannot read it (File name "
                                  "too long)"),
    "companion a FIFO": Hostile({"uv.lock": uv(), "pyproject.toml": fifo}, "uv.lock",
                                f"{{dir}}/pyproject.toml: {FIFO}"),
    "companion a folder": Hostile({"poetry.lock": POETRY.format(version="1.16.0", extra=""),
                                   "pyproject.toml": folder}, "poetry.lock",
                                  "{dir}/pyproject.toml: is a directory; expected a lock or requirements file"),
    "include /dev/zero": Hostile({"r.txt": "-r /dev/zero\n"}, "r.txt",
                                 "/dev/zero: is a character device; expected a regular file"),
    "include a FIFO": Hostile({"r.txt": "-c f\n", "f": fifo}, "r.txt", f"{{dir}}/f: {FIFO}"),
    "include a folder": Hostile({"r.txt": "-r sub\n", "sub": folder}, "r.txt",
                                "{dir}/sub: is a directory; expected a lock or requirements file"),
    "include too large": Hostile({"r.txt": "-r big.txt\n", "big.txt": sparse(MAX_BYTES + 1)}, "r.txt",
                                 f"{{dir}}/big.txt: {TOO_LARGE}"),
    "include standard input": Hostile({"r.txt": "-r /dev/stdin\n"}, "r.txt", "/dev/stdin: is standard input, a "
                                      "pipe or a /proc file; only the bound itself can be one (--lock)"),
    "include from a variable": Hostile({"r.txt": "-r ${TETHER_T_HOSTILE}\n"}, "r.txt", "/dev/zero: is a "
                                       "character device; expected a regular file"),
    "setup.cfg a FIFO": Hostile({"r.txt": "-e ./proj\n", "proj": folder, "proj/setup.cfg": fifo}, "r.txt",
                                f"{{dir}}/proj/setup.cfg: {FIFO}"),
    "a /proc file": Hostile({}, "/proc/self/environ", "/proc/self/environ: is a binary file; expected a text lock "
                            "or requirements file"),
    # Include graphs.
    "include itself": Hostile({"r.txt": "-r ./r.txt\n"}, "r.txt",
                              "{dir}/./r.txt: includes itself (a cycle of -r/-c files)"),
    "include a symlink loop": Hostile({"r.txt": "-r loop\n", "loop": link("loop")}, "r.txt",
                                      "{dir}/loop: cannot read it (Too many levels of symbolic links)"),
    "include no name": Hostile({"r.txt": "six\n-r\n"}, "r.txt", "{dir}/r.txt:2: -r needs a file name"),
    # Nesting.
    "uv.lock nested": Hostile({"uv.lock": f"{UV_HEAD}z = {DEEP_TOML}\n"}, "uv.lock", "{dir}/uv.lock: too deeply "
                              "nested"),
    "pyproject inline tables": Hostile({"pyproject.toml": "z = " + "{a = " * 600 + "1" + "}" * 600 + "\n"},
                                       "pyproject.toml", "{dir}/pyproject.toml: too deeply nested"),
    "Pipfile.lock nested": Hostile({"Pipfile.lock": PIPFILE.format(entry=DEEP_JSON)}, "Pipfile.lock",
                                   "{dir}/Pipfile.lock: too deeply nested"),
    "pixi.lock nested": Hostile({"pixi.lock": f"version: 6\nenvironments: {DEEP_JSON}\npackages: []\n"}, "pixi.lock",
                                "{dir}/pixi.lock:2: invalid YAML: exceeded maximum nesting depth"),
    "marker nested": Hostile({"r.txt": NESTED_MARKER + "\n"}, "r.txt", f"{{dir}}/r.txt:1: invalid requirement "
                             f"{NESTED_MARKER!r}: Marker expression is nested more than 200 levels deep"),
    "YAML aliases, a billion laughs": Hostile({"pixi.lock": "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))
        + "version: 6\nenvironments: {default: {packages: {linux-64: *i}}}\npackages: *i\n"}, "pixi.lock",
        "{dir}/pixi.lock: in 'packages[0]': expected a mapping, got a sequence"),
    # Numbers no comparison reads (int() refuses more than 4,300 digits).
    "requirements ===": Hostile({"r.txt": f"six==={BIG}\n"}, "r.txt", f"{{dir}}/r.txt:1: version 99999999999999999999"
                                f"... (5000 characters) {TOO_LONG}"),
    "requirements ==": Hostile({"r.txt": f"six=={BIG}\n"}, "r.txt", f"{{dir}}/r.txt:1: version 99999999999999999999."
                               f".. (5000 characters) {TOO_LONG}"),
    "uv.lock version": Hostile({"uv.lock": uv(version=BIG)}, "uv.lock", f"{{dir}}/uv.lock: version 9999999999999999"
                               f"9999... (5000 characters) {TOO_LONG}"),
    "pyproject range": Hostile({"pyproject.toml": PYPROJECT.format(deps=f'"six>={BIG}"')}, "pyproject.toml",
                               f"{{dir}}/pyproject.toml: project.dependencies[0]: version 99999999999999999999... "
                               f"(5000 characters) {TOO_LONG}"),
    "Pipfile.lock version": Hostile({"Pipfile.lock": PIPFILE.format(entry=f'{{"version": "=={BIG}"}}')},
                                    "Pipfile.lock", f"{{dir}}/Pipfile.lock: default.six: version 99999999999999999999."
                                    f".. (5000 characters) {TOO_LONG}"),
    "pixi.lock version": Hostile({"pixi.lock": PIXI.format(ref="https://f.example/six.whl", version=BIG)},
                                 "pixi.lock", f"{{dir}}/pixi.lock: version 99999999999999999999... (5000 characters)"
                                 f" {TOO_LONG}"),
    "poetry.lock version": Hostile({"poetry.lock": POETRY.format(version=BIG, extra=""),
                                    "pyproject.toml": '[project]\nname = "p"\n[tool.poetry]\npackage-mode = false\n'},
                                   "poetry.lock", f"{{dir}}/poetry.lock: package[0]: version 99999999999999999999... "
                                   f"(5000 characters) {TOO_LONG}"),
    "pylock version": Hostile({"pylock.toml": PYLOCK.format(version=BIG, extra="")}, "pylock.toml",
                              f"{{dir}}/pylock.toml: in 'packages[0].version': {INT_LIMIT[:1].lower()}{INT_LIMIT[1:]}"),
    "marker version": Hostile({"r.txt": f"six; python_version > '{BIG}'\n"}, "r.txt", f"{{dir}}/r.txt:1: cannot "
                              f"evaluate marker 'python_version > \"{BIG}\"': {INT_LIMIT}"),
    # Markers comparing what cannot be compared.
    "requirements ~= 'abc'": Hostile({"r.txt": "six; python_version ~= 'abc'\n"}, "r.txt", "{dir}/r.txt:1: cannot "
                                     "evaluate marker 'python_version ~= \"abc\"': Undefined <Op('~=')> on '3.11' and "
                                     "'abc'."),
    "uv.lock edge marker": Hostile({"uv.lock": uv(dep='{ name = "six", marker = "python_version ~= \'abc\'" }')},
                                   "uv.lock", "{dir}/uv.lock: in 'package[0].dependencies[0].marker': cannot evaluate "
                                   "marker 'python_version ~= \"abc\"': Undefined <Op('~=')> on '3.11' and 'abc'."),
    "pyproject marker": Hostile({"pyproject.toml": PYPROJECT.format(deps='"six; python_version ~= \'abc\'"')},
                                "pyproject.toml", "{dir}/pyproject.toml: in 'project.dependencies[0]': cannot "
                                "evaluate marker 'python_version ~= \"abc\"': Undefined <Op('~=')> on '3.11' and "
                                "'abc'."),
    # Paths that cannot be resolved, named in a lock.
    "uv.lock editable a symlink loop": Hostile({"uv.lock": uv(source='editable = "loop"'), "loop": link("loop")},
                                               "uv.lock", None),
    "uv.lock path with a NUL": Hostile({"uv.lock": uv(source='directory = "a\\u0000b"')}, "uv.lock", None),
    "Pipfile.lock path a symlink loop": Hostile({"Pipfile.lock": PIPFILE.format(entry='{"path": "loop"}'),
                                                "loop": link("loop")}, "Pipfile.lock", None),
    "pixi.lock path a symlink loop": Hostile({"pixi.lock": PIXI.format(ref="./loop", version="1.0"),
                                             "loop": link("loop")}, "pixi.lock", None),
    "requirements path too long": Hostile({"r.txt": "./" + "a" * 5000 + "-1.0-py3-none-any.whl\n"}, "r.txt", None),
    "editable path too long": Hostile({"r.txt": "-e ./" + "a" * 5000 + "#egg=a\n"}, "r.txt", None),
    # Text.
    "a megabyte of spaces": Hostile({"r.txt": "six==1.16.0" + " " * (1 << 20) + "#\n"}, "r.txt", None),
    "a variable holding a new line": Hostile({"r.txt": "six==${TETHER_T_NEWLINE}\n"}, "r.txt", "{dir}/r.txt:1: "
                                             "invalid requirement 'six==1.0\\n-r /dev/zero': Expected comma (within "
                                             "version specifier), semicolon (after version specifier) or end"),
    "UTF-16": Hostile({"r.txt": "\ufeffsix==1.16.0\n".encode("utf-16").decode("latin-1")}, "r.txt",
                      "{dir}/r.txt: is a binary file; expected a text lock or requirements file"),
    "CRLF and a BOM": Hostile({"r.txt": "\ufeffsix==1.16.0\r\nidna==3.7\r\n"}, "r.txt", None),
    "empty uv.lock": Hostile({"uv.lock": ""}, "uv.lock", "{dir}/uv.lock: in 'version': missing; expected an integer"),
    "empty Pipfile.lock": Hostile({"Pipfile.lock": ""}, "Pipfile.lock", "{dir}/Pipfile.lock:1: invalid JSON: "
                                  "Expecting value"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_hostile(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[name]
    folder = tmp_path / "case"
    folder.mkdir()
    for file, content in case.files.items():
        if isinstance(content, str):
            (folder / file).write_bytes(content.encode("utf-8" if content.isascii() or "\ufeff" in content[:1]
                                                       else "latin-1"))  # fmt: skip
        else:
            content(folder / file)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("TETHER_T_HOSTILE", "/dev/zero")
    monkeypatch.setenv("TETHER_T_NEWLINE", "1.0\n-r /dev/zero")
    location = case.bound if os.path.isabs(case.bound) else str(folder / case.bound)
    start = time.monotonic()
    with time_limit():
        try:
            load_bound(location, linux_311(), case.selection)
            message = None
        except BoundError as e:
            message = str(e)
    assert time.monotonic() - start < CASE_LIMIT
    assert message == (None if case.message is None else case.message.format(dir=folder))


def test_lock_a_socket() -> None:
    # AF_UNIX paths are short: not under pytest's tmp_path.
    with tempfile.TemporaryDirectory(dir="/tmp") as where:
        path = os.path.join(where, "uv.lock")
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(path)
            with pytest.raises(BoundError) as exc, time_limit():
                load_bound(path, linux_311())
    assert str(exc.value) == f"{path}: is a socket; expected a regular file"
