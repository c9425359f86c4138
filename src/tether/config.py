"""Configuration: ``[tool.tether]`` in ``pyproject.toml``, or a ``tether.toml`` holding the
same keys at its top level, and ``TETHER_*`` environment variables.

The file is found as the bound is (:func:`tether.sources.find_upward`): in the working
directory, then each parent, stopping at the first directory that has one, or after the
repository's root (a directory with ``.git``). In one directory ``tether.toml`` wins over
``pyproject.toml``, as ``uv.toml`` does for uv; a ``pyproject.toml`` without a
``[tool.tether]`` table is passed over.

Precedence: the command line, then the environment (``TETHER_LOCK``, ``TETHER_IGNORE``
comma-separated, ...: one variable per key, upper-case, dashes as underscores; an empty
variable counts as unset), then the file, then the defaults. A list given on the command
line replaces the file's list.

Every file read is stamped (before it is read, with a digest), and so is every candidate
looked for and not found (``tether.toml``, ``pyproject.toml``, ``.git`` in each directory
searched), so that an answer cached by :mod:`tether._cache` is dropped when a
configuration appears or changes, and only then.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tether.errors import ConfigError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping

__all__ = ["DEFAULTS", "ENV_VARS", "Config", "apply", "env_var", "load_config"]

#: Every key, its default, and the attribute of the parsed command line it sets.
DEFAULTS: dict[str, str | list[str] | None] = {
    "lock": None,
    "ignore": [],
    "groups": [],
    "extras": [],
    "on-drift": "warn",
    "exempt": [],
}
_ATTRS = {"lock": "lock", "ignore": "ignore", "groups": "group", "extras": "extra",
          "on-drift": "on_drift", "exempt": "exempt"}  # fmt: skip
_MODES = ("warn", "exit")
FILE_NAMES = ("tether.toml", "pyproject.toml")


def env_var(key: str) -> str:
    """The environment variable of *key*: ``on-drift`` is ``TETHER_ON_DRIFT``."""
    return "TETHER_" + key.upper().replace("-", "_")


#: Every variable read (all part of :func:`tether._cache.key`).
ENV_VARS = tuple(env_var(k) for k in DEFAULTS)


@dataclass(frozen=True, slots=True)
class Config:
    """The settings from the file and the environment, and where each came from."""

    values: dict[str, str | list[str] | None]
    #: ``default``, ``TETHER_LOCK``, or ``FILE: tool.tether.lock``, by key.
    origins: dict[str, str]
    #: The file read, as shown (relative to the working directory), or ``None``.
    file: str | None = None
    #: Stamps of every directory looked in and every file read (see :mod:`tether._cache`).
    stamps: tuple[tuple[str, object], ...] = field(default=())


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


def _read(path: Path, shown: str) -> dict[str, object]:
    """A configuration file, read as bound files are (refused by type before reading,
    within the same size cap) and parsed as they are (the line of a syntax error kept).

    :raises ConfigError: naming the file, for anything wrong with it.
    """
    from tether.errors import DocumentError
    from tether.sources import read_toml

    try:
        return read_toml(path)
    except DocumentError as e:
        raise ConfigError(shown, e.message, line=e.line, key=e.key) from e


def _find(start: Path) -> tuple[Path | None, str, dict[str, object], list[tuple[str, object]]]:
    """The file to read from *start* upward, the key path of its table (``tool.tether``
    or ``""``), the table, and the stamps of what was looked at."""
    from tether import _cache

    stamps: list[tuple[str, object]] = []
    for folder in (start, *start.parents):
        # What could change the answer is stamped, not the folder: a folder's stamp changes
        # whenever any file is created in it (a busy /tmp or home would miss every time).
        stamps += _cache.take_stamps([str(folder / ".git")])
        for name in FILE_NAMES:
            path = folder / name
            # lexists: whatever holds the name is read (and refused by type if it is not a
            # file), as auto-detection does for a bound, rather than skipped in silence.
            if not os.path.lexists(path):
                stamps += _cache.take_stamps([str(path)])
                continue
            # Stamped before it is read: an edit made meanwhile is seen next time.
            stamps += _cache.take_stamps([str(path)], digests=True)
            document = _read(path, os.path.relpath(path))
            if name == "tether.toml":
                return path, "", document, stamps
            tool = document.get("tool")
            if isinstance(tool, dict) and "tether" in tool:
                table = tool["tether"]
                if not isinstance(table, dict):
                    raise ConfigError(
                        os.path.relpath(path), f"expected a table, got {_kind(table)}", key="tool.tether"
                    )
                return path, "tool.tether", table, stamps
        if os.path.exists(folder / ".git"):
            break
    return None, "", {}, stamps


def _from_file(key: str, value: object, shown: str, where: str) -> str | list[str]:
    if key == "lock":
        if not isinstance(value, str):
            raise ConfigError(shown, f"expected a string, got {_kind(value)}", key=where)
        return value
    if key == "on-drift":
        if value not in _MODES:
            got = repr(value) if isinstance(value, str) else _kind(value)
            raise ConfigError(shown, f"expected 'warn' or 'exit', got {got}", key=where)
        return str(value)
    if not isinstance(value, list):
        raise ConfigError(shown, f"expected an array of strings, got {_kind(value)}", key=where)
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise ConfigError(shown, f"expected a string, got {_kind(item)}", key=f"{where}[{i}]")
    return list(value)


def _from_env(key: str, var: str, text: str) -> str | list[str]:
    if key == "lock":
        return text
    if key == "on-drift":
        if text not in _MODES:
            raise ConfigError(var, f"expected 'warn' or 'exit', got {text!r}")
        return text
    return [item.strip() for item in text.split(",") if item.strip()]


def load_config(start: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """The configuration in effect from *start* (the working directory), without the
    command line (see :func:`apply`).

    :raises ConfigError: for an unknown key or a value of the wrong type, naming the
        file (or variable) and the key path.
    """
    from tether.sources.remote import is_remote

    environ = os.environ if environ is None else environ
    values = dict(DEFAULTS)
    origins = dict.fromkeys(DEFAULTS, "default")
    path, prefix, table, stamps = _find(Path.cwd() if start is None else start)
    shown = None
    if path is not None:
        shown = os.path.relpath(path)
        for key, value in table.items():
            where = f"{prefix}.{key}" if prefix else key
            if key not in DEFAULTS:
                known = ", ".join(DEFAULTS)
                raise ConfigError(shown, f"unknown key (known: {known})", key=where)
            setting = _from_file(key, value, shown, where)
            if key == "lock" and isinstance(setting, str) and not is_remote(setting):
                # Relative to the file's directory; shown relative to the working directory.
                setting = os.path.relpath(os.path.join(path.parent, setting))
            values[key] = setting
            origins[key] = f"{shown}: {where}"
    for key in DEFAULTS:
        var = env_var(key)
        text = environ.get(var)
        if text:
            values[key] = _from_env(key, var, text)
            origins[key] = var
    return Config(values=values, origins=origins, file=shown, stamps=tuple(stamps))


def apply(config: Config, args: argparse.Namespace) -> dict[str, str]:
    """Fill in what the command line *args* left unset from *config*; return where each
    setting the command has came from."""
    origins: dict[str, str] = {}
    for key, attr in _ATTRS.items():
        if not hasattr(args, attr):
            continue
        given = getattr(args, attr)
        if given is None or given == []:
            value = config.values[key]
            setattr(args, attr, list(value) if isinstance(value, list) else value)
            origins[key] = config.origins[key]
        else:
            origins[key] = "command line"
    return origins


def describe(config: Config) -> str:
    """Each setting, its value and where it came from: ``tether config``."""
    lines = []
    for key, value in config.values.items():
        if value is None:
            shown = "(auto-detected)"
        elif isinstance(value, list):
            shown = "[" + ", ".join(f'"{v}"' for v in value) + "]"
        else:
            shown = value
        lines.append(f"{key} = {shown}  ({config.origins[key]})")
    return "\n".join(lines) + "\n"
