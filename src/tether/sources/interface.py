"""The interface every bound reader implements, and the options they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from tether.models import Bound
    from tether.target import Target

__all__ = ["BoundReader", "Selection"]


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
    """

    #: The format name shown to users.
    format: str

    def read(self, text: str, *, path: Path, display: str, target: Target, selection: Selection) -> Bound:
        """Parse *text* (the content of *path*) into what it demands of *target*.

        :raises BoundError: for anything the reader cannot make sense of.
        """
