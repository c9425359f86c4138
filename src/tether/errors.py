"""All exceptions raised from tether's own code."""

from __future__ import annotations

__all__ = [
    "AuditError",
    "BoundError",
    "ConfigError",
    "DocumentError",
    "HookError",
    "PurgeError",
    "RecordError",
    "TargetError",
    "TetherError",
    "shown",
]


def shown(where: str) -> str:
    """*where* as an error line shows it: a URL's password (``https://user:TOKEN@host``)
    replaced by ``****``, as uv and pip show URLs in their messages, so that a token in
    ``--lock`` or ``--osv-url`` does not reach logs."""
    scheme, sep, rest = where.partition("://")
    if not sep:
        return where
    netloc, slash, path = rest.partition("/")
    userinfo, at, host = netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return where
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:****@{host}{slash}{path}"


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
        where = shown(self.path)
        if self.line is not None:
            where += f":{self.line}"
        if self.key is not None:
            where += f": in {self.key!r}"
        return f"{where}: {self.message}"


class DocumentError(TetherError, ValueError):
    """What a bound reader found wrong in a document, located in it but not yet named.

    Readers do not know how the user named the file they read (a path, a URL, the
    ``pyproject.toml`` beside a lock), so they raise this; :mod:`tether.sources` turns it
    into a :class:`BoundError` naming the file, once, where the file is opened.

    :param message: what was wrong, starting in lower case.
    :param key: a dotted key path in a TOML/JSON/YAML document, where one applies.
    :param line: 1-based line number, where one applies.
    """

    def __init__(self, message: str, *, key: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.key = key
        self.line = line
        super().__init__(message)

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line is not None else []
        where += [f"in {self.key!r}"] if self.key is not None else []
        return ": ".join([*where, self.message])

    def in_file(self, path: str) -> BoundError:
        """The same complaint, naming the file it is about.

        :param path: the file, as the user named it (or a URL).
        """
        return BoundError(path, self.message, line=self.line, key=self.key)


class TargetError(TetherError, ValueError):
    """The target interpreter could not be found or queried."""


class HookError(TetherError):
    """The start-up hook could not be installed, removed or read."""


class ConfigError(TetherError, ValueError):
    """A configuration file (``tether.toml``, ``[tool.tether]``) or a ``TETHER_*``
    variable holds what tether does not understand.

    :param path: the file, relative to the working directory, or the variable's name.
    :param message: what was wrong, starting in lower case.
    :param key: the dotted key path in the file, where one applies.
    :param line: 1-based line number, where one applies.
    """

    def __init__(self, path: str, message: str, *, key: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.message = message
        self.key = key
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        if self.key is not None:
            where += f": in {self.key!r}"
        return f"{where}: {self.message}"


class RecordError(TetherError):
    """An installed distribution's ``RECORD`` is missing, unreadable or malformed (the
    message names the file, and the row where one applies)."""


class AuditError(TetherError, ValueError):
    """An advisory source could not be used: an OSV service that is unreachable, answers
    with an error status, too late, or with something that is not an OSV answer; an
    offline database that cannot be read. ``tether audit`` never reports "no findings"
    in its place (it does not fail open).

    :param where: the URL or file, as the user named it.
    :param message: what went wrong, starting in lower case.
    """

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{shown(self.where)}: {self.message}"


class PurgeError(TetherError):
    """``tether purge`` refused to remove, or could not remove, what it planned to (the
    message says why, and that the environment was left as it was)."""
