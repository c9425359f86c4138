"""All exceptions raised from tether's own code."""

from __future__ import annotations

__all__ = [
    "BoundError",
    "HookError",
    "TargetError",
    "TetherError",
]


class TetherError(Exception):
    """All exceptions raised from tether's code derive from this one.

    Every one of them is a problem with what the user handed tether, and the CLI turns
    it into one line on stderr and exit code 2.
    """


class BoundError(TetherError, ValueError):
    """A bound (requirements, pyproject, lock file) could not be read.

    :param path: the file, as the user named it (or a URL).
    :param message: what was wrong, starting in lower case.
    :param line: 1-based line number, where one applies.
    :param key: a dotted key path in a TOML/JSON/YAML document, where one applies.
    """

    def __init__(self, path: str, message: str, *, line: int | None = None, key: str | None = None) -> None:
        self.path = path
        self.message = message
        self.line = line
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
        if self.key is not None:
            where += f": in {self.key!r}"
        return f"{where}: {self.message}"


class TargetError(TetherError, ValueError):
    """The target interpreter could not be found or queried."""


class HookError(TetherError):
    """The start-up hook could not be installed, removed or read."""
