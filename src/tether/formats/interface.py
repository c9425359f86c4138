"""What every output format receives, and the interface it implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tether.models import Installed, Record

__all__ = ["Formatter", "Report"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Report:
    """The outcome of one validation, ready to be rendered."""

    #: The bound, as the user named it.
    bound: str
    #: Its format name.
    bound_format: str
    #: The target interpreter.
    python: str
    #: How many distributions are installed (first-found per name).
    installed: int
    records: tuple[Record, ...]
    #: The command that repairs the environment.
    repair: str = ""
    #: Everything found installed, for formats that list it (an SBOM, an audit).
    inventory: Installed | None = None

    @property
    def valid(self) -> bool:
        """No finding at all."""
        return not self.records


class Formatter(Protocol):
    """Renders a :class:`Report` as a string; only the CLI writes it out."""

    def format(self, report: Report) -> str:
        """The whole output, ending in a newline."""
