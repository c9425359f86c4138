"""The typed accessors: each value checked for its type, and a wrong one named by its key
path, in the words of the document's language."""

from __future__ import annotations

import datetime

import pytest
from packaging.version import Version

from tether.errors import BoundError, DocumentError
from tether.sources._access import JSON, TOML, YAML, Table

LOCK = Table({
    "version": 1,
    "flag": True,
    "package": [
        {"name": "a", "source": {"url": "https://x"}},
        {"name": "b", "source": {"url": ["https://x"]}, "extras": ["x", 3], "version": "1.0"},
    ],
    "nothing": None,
    "bad": {"version": "not a version", "items": [{}, "text"]},
    "when": datetime.date(2024, 1, 1),
})  # fmt: skip


def error(call: object) -> str:
    assert callable(call)
    with pytest.raises(DocumentError) as exc:
        call()
    return str(exc.value)


def test_values_of_the_type_asked_for() -> None:
    assert LOCK.get("version", int) == 1
    assert LOCK.get("flag", bool) is True
    assert LOCK.required("version", int) == 1
    second = LOCK.tables("package")[1]
    assert second.path == "package[1]"
    assert second.get_as("version", str, Version) == Version("1.0")
    assert LOCK.tables("package")[0].table("source").get("url", str) == "https://x"


def test_absent_and_null_read_as_nothing() -> None:
    assert LOCK.get("missing", str) is None
    assert LOCK.get("nothing", str) is None
    assert "nothing" not in LOCK
    assert LOCK.table("missing").data == {}
    assert LOCK.tables("missing") == []
    assert LOCK.strings("missing") == []
    assert LOCK.get_as("missing", str, Version) is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: LOCK.get("flag", int), "in 'flag': expected an integer, got a boolean",
                     id="a-bool-is-not-an-int"),
        pytest.param(lambda: LOCK.get("version", bool), "in 'version': expected a boolean, got an integer",
                     id="an-int-is-not-a-bool"),
        pytest.param(lambda: LOCK.get("version", str), "in 'version': expected a string, got an integer",
                     id="an-int-is-not-a-string"),
        pytest.param(lambda: LOCK.tables("package")[1].table("source").get("url", str),
                     "in 'package[1].source.url': expected a string, got an array", id="nested"),
        pytest.param(lambda: LOCK.tables("package")[0].required("version", str),
                     "in 'package[0].version': missing; expected a string", id="required"),
        pytest.param(lambda: LOCK.tables("package")[1].strings("extras"),
                     "in 'package[1].extras[1]': expected a string, got an integer", id="strings"),
        pytest.param(lambda: LOCK.table("bad").tables("items"), "in 'bad.items[1]': expected a table, got a string",
                     id="tables"),
        pytest.param(lambda: LOCK.table("version"), "in 'version': expected a table, got an integer", id="table"),
        pytest.param(lambda: LOCK.table("bad").get_as("version", str, Version),
                     "in 'bad.version': invalid value 'not a version': Invalid version: 'not a version'",
                     id="get-as"),
        pytest.param(lambda: LOCK.get("when", str), "in 'when': expected a string, got a date", id="a-toml-date"),
        pytest.param(lambda: LOCK.sub("version", 1), "in 'version': expected a table, got an integer", id="sub"),
    ],
)  # fmt: skip
def test_wrong_types_name_the_key_path(call: object, message: str) -> None:
    assert error(call) == message


def test_errors_at_a_table_or_its_key() -> None:
    package = LOCK.tables("package")[0]
    assert str(package.error("a package needs a version")) == "in 'package[0]': a package needs a version"
    assert str(package.error("unsupported", "name")) == "in 'package[0].name': unsupported"
    assert str(LOCK.error("no [project] table")) == "no [project] table"


@pytest.mark.parametrize(
    ("syntax", "words"),
    [
        (TOML, ["a table", "an array", "a string", "an integer", "a float", "a boolean"]),
        (JSON, ["an object", "an array", "a string", "an integer", "a number", "a boolean"]),
        (YAML, ["a mapping", "a sequence", "a string", "an integer", "a float", "a boolean"]),
    ],
)
def test_each_language_names_its_types(syntax: object, words: list[str]) -> None:
    assert isinstance(syntax, type(TOML))
    values: tuple[object, ...] = ({}, [], "", 1, 1.5, True)
    assert [syntax.of(v) for v in values] == words


@pytest.mark.parametrize(
    ("document", "syntax", "message"),
    [
        ([], JSON, "expected an object at the top level, got an array"),
        ("text", YAML, "expected a mapping at the top level, got a string"),
        (None, YAML, "expected a mapping at the top level, got null"),
    ],
)
def test_a_document_is_a_table(document: object, syntax: object, message: str) -> None:
    assert isinstance(syntax, type(TOML))
    assert error(lambda: Table.top(document, syntax)) == message
    assert Table.top({"a": 1}, syntax).data == {"a": 1}


def test_the_file_is_named_once() -> None:
    keyed = DocumentError("expected a string, got a table", key="package[3].dependencies[0].name")
    assert str(keyed) == "in 'package[3].dependencies[0].name': expected a string, got a table"
    assert str(keyed.in_file("uv.lock")) == (
        "uv.lock: in 'package[3].dependencies[0].name': expected a string, got a table"
    )
    lined = DocumentError("unknown option '-Z'", line=2)
    assert str(lined) == "line 2: unknown option '-Z'"
    assert str(lined.in_file("requirements.txt")) == "requirements.txt:2: unknown option '-Z'"
    assert isinstance(lined.in_file("x"), BoundError)
    assert isinstance(lined, ValueError)
    assert str(DocumentError("too deeply nested").in_file("uv.lock")) == "uv.lock: too deeply nested"
