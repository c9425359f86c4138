"""The interface every bound reader implements, the record registering a format, and the
options they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tether.models import Bound
    from tether.target import Target

__all__ = ["BoundFormat", "BoundReader", "Selection"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Selection:
    """What the user selected beyond the tool's defaults, as the native tools spell it."""

    #: ``--extra NAME`` (repeatable).
    extras: tuple[str, ...] = ()
    #: ``--all-extras``.
    all_extras: bool = False
    #: ``--group NAME`` (repeatable): added to the tool's default groups.
    groups: tuple[str, ...] = ()
    #: ``--only-group NAME`` (repeatable): these groups and nothing else.
    only_groups: tuple[str, ...] = ()
    #: ``--without-group NAME`` / ``--no-group NAME`` (repeatable).
    without_groups: tuple[str, ...] = ()
    #: ``--no-default-groups``.
    no_default_groups: bool = False
    #: ``--all-packages`` for a uv workspace: every member, not only the project.
    all_packages: bool = False
    #: ``--environment NAME`` for pixi (default ``default``).
    environment: str = "default"


class BoundReader(Protocol):
    """Reads one bound format into a :class:`~tether.models.Bound` for a target.

    One class per format, each in its own module; ``sources.FORMATS`` maps file names
    to them (and is the one place that knows the names).

    A reader raises :class:`~tether.errors.DocumentError` (what is wrong, at which key or
    line) and leaves naming the file to its caller; a file it reads itself (a nested
    requirements file, the ``pyproject.toml`` beside a lock) it names itself, with
    ``_common.in_file``.
    """

    #: The format name shown to users.
    format: str

    def read(self, text: str, *, path: Path, display: str, target: Target, selection: Selection) -> Bound:
        """Parse *text* (the content of *path*) into what it demands of *target*.

        :param display: the file as the user named it, for ``Bound.path``, origins and
            notes (errors leave it to the caller).
        :raises DocumentError: for anything the reader cannot make sense of in *text*.
        :raises BoundError: for a problem in another file it reads, naming that file.
        """


@dataclass(frozen=True, kw_only=True, slots=True)
class BoundFormat:
    """One bound format: the file names that are its, and the reader for it.

    ``sources.FORMATS`` lists every format once; auto-detection, the reader chosen for a
    file, the companion files fetched with a remote bound and the CLI's help are all
    derived from that list.
    """

    #: The format's name, as the reader's ``format`` and JSON's ``bound_format`` give it.
    name: str
    #: The file names auto-detection looks for, in order.
    detect: tuple[str, ...]
    #: Whether a file name is of this format; ``None``: exactly the names in ``detect``.
    matcher: Callable[[str], bool] | None = None
    #: Other names the matcher takes, as the CLI's help words them (``pylock.NAME.toml``).
    also: str = ""
    #: The reader, ``"module:Class"``, imported only when a file of this format is read
    #: (each reader pulls in its own parser).
    reader: str
    #: Files the reader reads beside the bound when present (``pyproject.toml``).
    companions: tuple[str, ...] = ()

    def matches(self, name: str) -> bool:
        """Whether a file of this *name* is of this format."""
        return name in self.detect if self.matcher is None else self.matcher(name)

    def load(self) -> BoundReader:
        """A reader for this format (importing its module on first use)."""
        import importlib

        module, _, cls = self.reader.partition(":")
        reader: BoundReader = getattr(importlib.import_module(module), cls)()
        return reader

    def describe(self) -> str:
        """The file names, as the CLI's help gives them: ``pylock.toml (or pylock.NAME.toml)``."""
        names = " or ".join(self.detect)
        return f"{names} (or {self.also})" if self.also else names
