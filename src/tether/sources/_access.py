"""Typed access to the TOML, JSON and YAML documents bound readers are handed.

A lock file is untrusted input: valid TOML may hold a table where its format has a
string. Every value a reader uses is read here with the type its format gives it (a
boolean is not taken for an integer, nor a string for an array), and a wrong one raises
:class:`~tether.errors.DocumentError` with its key path, as ``packaging.pylock``'s
``_get`` family does::

    in 'package[3].dependencies[0].name': expected a string, got a table

The file is named where it was opened (:func:`tether.sources._common.in_file`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from tether.errors import DocumentError

if TYPE_CHECKING:
    from collections.abc import Callable, ItemsView

__all__ = ["JSON", "TOML", "YAML", "Syntax", "Table"]

_T = TypeVar("_T")
_U = TypeVar("_U")


class Syntax:
    """How one document language names its types, for messages (``a table``, ``an object``)."""

    __slots__ = ("_words",)

    def __init__(self, **words: str) -> None:
        #: Python type name -> the language's name for it, with its article.
        self._words = words

    def word(self, kind: type) -> str:
        """The name of a Python type in this language (``dict`` is ``a table`` in TOML)."""
        return self._words.get(kind.__name__, f"a {kind.__name__}")

    def of(self, value: object) -> str:
        """The name of a value's type in this language."""
        return self.word(type(value))


TOML = Syntax(dict="a table", list="an array", str="a string", int="an integer", float="a float",
              bool="a boolean", datetime="a date-time", date="a date", time="a time")  # fmt: skip
JSON = Syntax(dict="an object", list="an array", str="a string", int="an integer", float="a number",
              bool="a boolean", NoneType="null")  # fmt: skip
YAML = Syntax(dict="a mapping", list="a sequence", str="a string", int="an integer", float="a float",
              bool="a boolean", NoneType="null", datetime="a timestamp", date="a date",
              bytes="binary data")  # fmt: skip


def _is(value: object, kind: type) -> bool:
    # bool is an int in Python, never in TOML, JSON or YAML.
    return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))


class Table:
    """One table of a document (a JSON object, a YAML mapping) and its key path.

    Absent keys and null values read as ``None`` (or empty, for tables and arrays); a
    present value of another type than asked raises
    :class:`~tether.errors.DocumentError` naming ``path.key``.
    """

    __slots__ = ("data", "path", "syntax")

    def __init__(self, data: dict[str, Any], path: str = "", syntax: Syntax = TOML) -> None:
        #: The table as the parser gave it.
        self.data = data
        #: Its key path from the document's top (``package[3].source``), empty for the top.
        self.path = path
        #: The document's language, for messages.
        self.syntax = syntax

    @classmethod
    def top(cls, document: object, syntax: Syntax) -> Table:
        """A whole document, which must be a table.

        :raises DocumentError: when it is something else.
        """
        if not isinstance(document, dict):
            msg = f"expected {syntax.word(dict)} at the top level, got {syntax.of(document)}"
            raise DocumentError(msg)
        return cls(document, "", syntax)

    def key(self, name: str) -> str:
        """The key path of *name* in this table."""
        return f"{self.path}.{name}" if self.path else name

    def error(self, message: str, name: str | None = None) -> DocumentError:
        """An error about this table, or about its key *name*."""
        return DocumentError(message, key=self.key(name) if name is not None else self.path or None)

    def mistyped(self, name: str, value: object, expected: str) -> DocumentError:
        """An error for a value of *name* of the wrong type (*expected* says the right one)."""
        return self.error(f"expected {expected}, got {self.syntax.of(value)}", name)

    def __contains__(self, name: str) -> bool:
        return self.data.get(name) is not None

    def items(self) -> ItemsView[str, Any]:
        """The table's keys and raw values."""
        return self.data.items()

    def get(self, name: str, kind: type[_T]) -> _T | None:
        """The value of *name*, ``None`` when absent.

        :raises DocumentError: when it is not a *kind*.
        """
        value = self.data.get(name)
        if value is None:
            return None
        if not _is(value, kind):
            raise self.mistyped(name, value, self.syntax.word(kind))
        return value  # type: ignore[no-any-return]

    def required(self, name: str, kind: type[_T]) -> _T:
        """The value of *name*, which must be there.

        :raises DocumentError: when it is absent or not a *kind*.
        """
        value = self.get(name, kind)
        if value is None:
            raise self.error(f"missing; expected {self.syntax.word(kind)}", name)
        return value

    def get_as(self, name: str, kind: type[_T], convert: Callable[[_T], _U]) -> _U | None:
        """The value of *name* (a *kind*) converted by *convert*, ``None`` when absent.

        :raises DocumentError: when it is not a *kind* or *convert* rejects it (a
            :class:`ValueError`, as ``InvalidVersion`` and ``InvalidSpecifier`` are).
        """
        value = self.get(name, kind)
        if value is None:
            return None
        try:
            return convert(value)
        except DocumentError:
            raise
        except ValueError as e:
            raise self.error(f"invalid value {value!r}: {str(e).splitlines()[0]}", name) from e

    def table(self, name: str) -> Table:
        """The table under *name*, empty when absent.

        :raises DocumentError: when it is not a table.
        """
        data = self.get(name, dict)
        return Table({} if data is None else data, self.key(name), self.syntax)

    def array(self, name: str) -> list[Any]:
        """The array under *name* (items unchecked), empty when absent.

        :raises DocumentError: when it is not an array.
        """
        return self.get(name, list) or []

    def tables(self, name: str) -> list[Table]:
        """The array of tables under *name*, empty when absent.

        :raises DocumentError: when it is not an array, or an item is not a table.
        """
        key = self.key(name)
        result = []
        for i, item in enumerate(self.array(name)):
            if not isinstance(item, dict):
                raise DocumentError(f"expected {self.syntax.word(dict)}, got {self.syntax.of(item)}",
                                    key=f"{key}[{i}]")  # fmt: skip
            result.append(Table(item, f"{key}[{i}]", self.syntax))
        return result

    def strings(self, name: str) -> list[str]:
        """The array of strings under *name*, empty when absent.

        :raises DocumentError: when it is not an array, or an item is not a string.
        """
        items = self.array(name)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                msg = f"expected {self.syntax.word(str)}, got {self.syntax.of(item)}"
                raise DocumentError(msg, key=f"{self.key(name)}[{i}]")
        return items

    def sub(self, name: str, value: object) -> Table:
        """*value* (this table's value of *name*, already in hand) as a table.

        :raises DocumentError: when it is not a table.
        """
        if not isinstance(value, dict):
            raise self.mistyped(name, value, self.syntax.word(dict))
        return Table(value, self.key(name), self.syntax)
