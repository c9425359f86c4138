"""Structural mutations of a parsed document, shared by the shape tests of the readers
(tests/sources/test_shapes.py) and the fuzzer (tests/adversarial/test_fuzz.py)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Put in place of a value: the key is removed instead.
DELETE = object()


def paths(node: object, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """The path to every value in *node* (table keys and array indexes), depth first."""
    items: list[tuple[str | int, object]] = []
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    for key, child in items:
        yield (*path, key)
        yield from paths(child, (*path, key))


def mutated(document: dict[str, Any], path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    """A copy of *document* with the value at *path* replaced by *value* (or removed)."""
    result = copy.deepcopy(document)
    parent: Any = result
    for key in path[:-1]:
        parent = parent[key]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(value)
    return result
