"""A mutation fuzzer for every bound format: no traceback, no hang, one line naming the file.

Each seed is a small real file in ``tests/data`` (``*.seed.*``: real locks trimmed to a
few packages, from pallets/flask ``2ac8988`` (uv.lock and its pyproject.toml),
python-poetry/poetry ``f467023`` (poetry.lock 2.1 and its pyproject.toml),
psf/requests-html ``075ac16`` (Pipfile.lock), prefix-dev/pixi ``2b25fc7`` (pixi.lock 6)
and Evernight/lazy-beancount ``c4f3e69`` (pylock.toml, pip's); the requirements files
are ``pip-compile``'s and hand-written ones). Each is mutated, by kind:

- ``delete``: each key (and each array item) removed;
- ``retype``: each value replaced by a value of every type of its language (TOML, JSON,
  YAML), and by hostile strings (empty, a NUL, 5,000 characters, ``/dev/zero``);
- ``nest``: each value replaced by arrays or tables nested 100 and 5,000 deep;
- ``truncate``: the text cut at every offset (a sample of offsets for larger files);
- ``flip``: one to three random bytes replaced by random bytes;
- ``lines`` (requirements): each line removed, doubled, or given a hostile option.

Each pair (seed, kind) tries up to :data:`~tests.adversarial.harness.BUDGET` inputs,
chosen by a fixed seed; every input goes through ``tether.sources.load_bound`` (and a
few per seed through ``tether.cli.main``). An input that breaks the promise is written
under the test's ``tmp_path`` and named in the failure with its first bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.adversarial.harness import BUDGET, SEED, Findings, read_case, run_cli
from tests.helpers import data_file
from tests.mutate import DELETE, mutated, paths
from tether.sources import Selection

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_DEEP = "\x01deep\x01"  # stands for a deeply nested value, written out as text

_STRINGS: tuple[object, ...] = ("", "x", "\x00", "a" * 5000, "/dev/zero", "../../../../../../etc", "${HOME}")
_NUMBERS: tuple[object, ...] = (0, -1, 2**63 - 1, 1.5, math.nan, math.inf)
_CONTAINERS: tuple[object, ...] = ([], ["x"], [1, "x"], [{}], {}, {"k": "v"}, {"k": {"k": []}})
TOML_VALUES = (*_STRINGS, *_NUMBERS, True, False, dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
               dt.date(2024, 1, 1), dt.time(12, 0), *_CONTAINERS)  # fmt: skip
JSON_VALUES = (None, *_STRINGS, *_NUMBERS[:4], 1e308, True, False, *_CONTAINERS, [None])
YAML_VALUES = (*JSON_VALUES, dt.date(2024, 1, 1), dt.datetime(2024, 1, 1), b"\x00\xff", {"a", "b"})


# -- writing documents back, with any value (a deep one as text) ---------------------


def _toml(value: object) -> str:
    if value == _DEEP:
        return _DEEP
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml, value)) + "]"
    assert isinstance(value, dict), value
    return (
        "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {_toml(v)}" for k, v in value.items()) + "}"
    )


def to_toml(document: dict[str, Any]) -> str:
    """A TOML document of inline values (tomllib reads it back as *document*)."""
    return "".join(f"{json.dumps(k, ensure_ascii=False)} = {_toml(v)}\n" for k, v in document.items())


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False, default=str).replace(json.dumps(_DEEP), _DEEP)


def to_yaml(document: dict[str, Any]) -> str:
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=10_000)
    return text.replace(yaml.safe_dump(_DEEP).split("\n", 1)[0], _DEEP)


@dataclass(frozen=True)
class Syntax:
    parse: Callable[[str], Any]
    write: Callable[[dict[str, Any]], str]
    values: tuple[object, ...]
    #: A value nested *depth* deep, as text.
    deep: Callable[[int, bool], str]


def _nested(open_: str, close: str, leaf: str = "") -> Callable[[int], str]:
    return lambda depth: open_ * depth + leaf + close * depth


SYNTAXES = {
    "toml": Syntax(tomllib.loads, to_toml, TOML_VALUES,
                   lambda d, table: _nested("{a = ", "}", "1")(d) if table else _nested("[", "]")(d)),
    "json": Syntax(json.loads, to_json, JSON_VALUES,
                   lambda d, table: _nested('{"a": ', "}", "1")(d) if table else _nested("[", "]")(d)),
    "yaml": Syntax(yaml.safe_load, to_yaml, YAML_VALUES,
                   lambda d, table: _nested("{a: ", "}", "1")(d) if table else _nested("[", "]")(d)),
}  # fmt: skip


@dataclass(frozen=True)
class Seed:
    """A real file, the name it is read under, and what is read with it."""

    #: The file mutated, under its tool's name.
    name: str
    data: tuple[str, ...]
    syntax: str  # toml, json, yaml, or text (requirements)
    #: The bound read (the mutated file, or the lock it is a companion of).
    bound: str = ""
    selection: Selection = field(default_factory=Selection)
    #: Files written beside it, unchanged: name -> tests/data path.
    beside: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def files(self, mutated: bytes) -> dict[str, bytes]:
        files = {name: data_file(*parts).read_bytes() for name, parts in self.beside}
        files[self.name] = mutated
        return files

    @property
    def text(self) -> str:
        return data_file(*self.data).read_text(encoding="utf-8")


UV = ("uv-lock", "uv.seed.lock")
UV_PYPROJECT = ("uv-lock", "pyproject.seed.toml")
POETRY = ("poetry-lock", "poetry.seed.lock")
POETRY_PYPROJECT = ("poetry-lock", "pyproject.seed.toml")
NESTED = ("requirements", "nested")
SEEDS = {
    "uv.lock": Seed("uv.lock", UV, "toml", selection=Selection(extras=("async",)),
                    beside=(("pyproject.toml", UV_PYPROJECT),)),
    "uv.lock's pyproject.toml": Seed("pyproject.toml", UV_PYPROJECT, "toml", bound="uv.lock",
                                     beside=(("uv.lock", UV),)),
    "poetry.lock": Seed("poetry.lock", POETRY, "toml", selection=Selection(groups=("github-actions",)),
                        beside=(("pyproject.toml", POETRY_PYPROJECT),)),
    "poetry.lock's pyproject.toml": Seed("pyproject.toml", POETRY_PYPROJECT, "toml", bound="poetry.lock",
                                         beside=(("poetry.lock", POETRY),)),
    "Pipfile.lock": Seed("Pipfile.lock", ("pipfile-lock", "Pipfile.seed.lock"), "json",
                         selection=Selection(groups=("dev",))),
    "pixi.lock": Seed("pixi.lock", ("pixi-lock", "pixi.seed.lock"), "yaml"),
    "pylock.toml": Seed("pylock.toml", ("pylock", "pylock.seed.toml"), "toml"),
    "pyproject.toml": Seed("pyproject.toml", UV_PYPROJECT, "toml",
                           selection=Selection(extras=("async",), groups=("tests",))),
    "requirements (pip-compile)": Seed("requirements.txt", ("requirements", "pip-compile-hashes.txt"), "text"),
    "requirements (urls)": Seed("requirements.txt", ("requirements", "direct-urls.txt"), "text",
                                beside=(("localproj/pyproject.toml", ("requirements", "localproj",
                                                                       "pyproject.toml")),)),
    "requirements (nested)": Seed("base.txt", (*NESTED, "base.txt"), "text",
                                  beside=(("constraints.txt", (*NESTED, "constraints.txt")),
                                          ("sub/common.txt", (*NESTED, "sub", "common.txt")),
                                          ("sub/more.txt", (*NESTED, "sub", "more.txt")))),
}  # fmt: skip

# -- mutations ------------------------------------------------------------------------


def _sample(rng: random.Random, population: list[Any]) -> list[Any]:
    """At most BUDGET of *population*, in order (all of it when it is no larger)."""
    if len(population) <= BUDGET:
        return population
    chosen = sorted(rng.sample(range(len(population)), BUDGET))
    return [population[i] for i in chosen]


def _structured(seed: Seed, kind: str, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    syntax = SYNTAXES[seed.syntax]
    document = syntax.parse(seed.text)
    where = list(paths(document))
    if kind == "delete":
        for path in _sample(rng, where):
            yield f"{_show(path)} removed", syntax.write(mutated(document, path, DELETE)).encode()
    elif kind == "retype":
        for path, value in _sample(rng, [(p, v) for p in where for v in syntax.values]):
            text = syntax.write(mutated(document, path, value))
            yield f"{_show(path)} = {value!r:.40}", text.encode("utf-8", "surrogatepass")
    elif kind == "nest":
        for path, depth, table in _sample(
            rng, [(p, d, t) for p in where for d in (100, 5000) for t in (0, 1)]
        ):
            text = syntax.write(mutated(document, path, _DEEP)).replace(
                _DEEP, syntax.deep(depth, bool(table))
            )
            yield f"{_show(path)} nested {depth} deep", text.encode()


def _show(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


_HOSTILE_LINES = ("-r", "-r .", "-r /dev/zero", "-r missing.txt", "-c /dev/null", "-e", "-e /dev/zero",
                  "--hash", "-Z", "${HOME}", "x @ file:///dev/zero", "x==1; python_version ~= 'abc'",
                  "x==1; " + "(" * 300 + "os_name == 'nt'" + ")" * 300, "./" + "a" * 5000 + ".whl",
                  "-r " + "a/" * 3000 + "x.txt", "\\", "#", "x[" + "a," * 5000 + "]==1", "x===" + "9" * 5000)  # fmt: skip


def _lines(seed: Seed, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    lines = seed.text.splitlines(keepends=True)
    population = [("removed", i, "") for i in range(len(lines))]
    population += [("doubled", i, "") for i in range(len(lines))]
    population += [("given", i, extra) for i in range(len(lines)) for extra in _HOSTILE_LINES]
    for how, i, extra in _sample(rng, population):
        changed = list(lines)
        if how == "removed":
            del changed[i]
        elif how == "doubled":
            changed.insert(i, lines[i])
        else:
            changed.insert(i, extra + "\n")
        yield f"line {i + 1} {how} {extra[:40]!r}", "".join(changed).encode()


def _bytes(seed: Seed, kind: str, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    data = data_file(*seed.data).read_bytes()
    if kind == "truncate":
        for offset in _sample(rng, list(range(len(data)))):
            yield f"cut at {offset}", data[:offset]
    else:  # flip
        for _ in range(BUDGET):
            mutated = bytearray(data)
            spots = [rng.randrange(len(data)) for _ in range(rng.randint(1, 3))]
            for spot in spots:
                mutated[spot] = rng.randrange(256)
            yield f"bytes at {spots} replaced", bytes(mutated)


def mutants(seed_name: str, kind: str) -> Iterator[tuple[str, bytes]]:
    """The inputs of one (seed, kind) pair, the same at every run."""
    seed = SEEDS[seed_name]
    rng = random.Random(f"{SEED}:{seed_name}:{kind}")
    if kind in {"truncate", "flip"}:
        yield from _bytes(seed, kind, rng)
    elif kind == "lines":
        yield from _lines(seed, rng)
    else:
        yield from _structured(seed, kind, rng)


def _kinds(seed: Seed) -> tuple[str, ...]:
    return ("lines", "truncate", "flip") if seed.syntax == "text" else ("delete", "retype", "nest", "truncate",
                                                                        "flip")  # fmt: skip


PAIRS = [(name, kind) for name, seed in SEEDS.items() for kind in _kinds(seed)]


@pytest.mark.parametrize("seed_name", list(SEEDS))
def test_the_seed_reads(findings: Findings, seed_name: str) -> None:
    """Every mutation starts from a file that reads."""
    seed = SEEDS[seed_name]
    error = read_case(findings, "the seed", seed.files(data_file(*seed.data).read_bytes()), seed.bound or seed.name,
                      seed.selection)  # fmt: skip
    findings.check()
    assert error is None


@pytest.mark.parametrize(("seed_name", "kind"), PAIRS, ids=[f"{s}-{k}" for s, k in PAIRS])
def test_mutants_read_or_fail_in_one_line(findings: Findings, seed_name: str, kind: str) -> None:
    seed = SEEDS[seed_name]
    for label, data in mutants(seed_name, kind):
        read_case(
            findings, f"{seed_name}, {label}", seed.files(data), seed.bound or seed.name, seed.selection
        )
    findings.check()
    assert findings.tried >= min(BUDGET, 10)


def _flags(selection: Selection) -> list[str]:
    flags = [f"--extra={e}" for e in selection.extras]
    flags += [f"--group={g}" for g in selection.groups]
    return flags


@pytest.mark.parametrize("seed_name", list(SEEDS))
def test_mutants_through_the_command_line(findings: Findings, small_venv: Path, seed_name: str) -> None:
    """A few of each kind, through ``tether validate`` in-process: the whole path after the
    read (judging, rendering, caching) must hold too."""
    seed = SEEDS[seed_name]
    args = ["validate", "-p", str(small_venv), "--lock", f"{{folder}}/{seed.bound or seed.name}",
            *_flags(seed.selection), "--format", "json"]  # fmt: skip
    for kind in _kinds(seed):
        for n, (label, data) in enumerate(mutants(seed_name, kind)):
            if n % 8 == 0:
                run_cli(findings, f"{seed_name}, {label}", seed.files(data), args)
    findings.check()
