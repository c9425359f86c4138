"""The outcome of a validation: its records and the report formatters render.

These two are hand-written immutable classes rather than frozen dataclasses (the rest of
tether's records): they are built on the path of every ``tether validate`` after an
environment change, which must cost about what ``uv sync --check`` costs, and
``dataclasses`` (through ``inspect``) and ``typing`` are the largest imports there.
:class:`_Frozen` gives them what a frozen dataclass would: keyword construction,
equality, ``repr`` and immutability.
"""

from __future__ import annotations

# Not typing.TYPE_CHECKING: this module is on the fast path (see above).
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any, Literal

    from tether.models import Installed
    from tether.runtime.compare import Finding

    Status = Literal[
        "missing", "mismatch", "unexpected", "duplicate", "shadowed", "invalid", "leftover", "stale-lock",
        # validate --verify-files (tether.integrity.verify.FILE_STATUSES)
        "modified-file", "missing-file", "unrecorded-file", "outside-file", "unverifiable",
    ]  # fmt: skip

__all__ = ["FILE_STATUSES", "STATUSES", "Record", "Report", "record_from_finding"]

#: Every record status, in the order reports list them (the runtime's own list).
STATUSES: tuple[Status, ...] = (
    "missing",
    "mismatch",
    "unexpected",
    "duplicate",
    "shadowed",
    "invalid",
    "leftover",
    "stale-lock",
)
#: The statuses ``--verify-files`` adds (:data:`tether.integrity.verify.FILE_STATUSES`,
#: held equal by a test; not imported from there: this module is on the fast path).
FILE_STATUSES: tuple[Status, ...] = (
    "modified-file",
    "missing-file",
    "unrecorded-file",
    "outside-file",
    "unverifiable",
)


class _Frozen:
    """Keyword construction, equality, ``repr`` and immutability for slotted records."""

    __slots__ = ()
    #: The field names, in order (the ``__slots__`` of the subclass).
    _fields: tuple[str, ...] = ()

    def _init(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        msg = f"cannot assign to field {name!r}"
        raise AttributeError(msg)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, _Frozen)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{self.__class__.__name__}({fields})"


class Record(_Frozen):
    """One finding of a validation.

    A single record type with a closed ``status`` vocabulary (rather than one class per
    finding) because the JSON contract has one shape for all of them.
    """

    _fields = ("name", "status", "installed", "expected", "sites", "detail")
    __slots__ = _fields
    name: str
    status: Status
    #: The installed version, or ``None``.
    installed: str | None
    #: The expected version (or range, with a source when not an index), or ``None``.
    expected: str | None
    #: The site directories where the package was found.
    sites: tuple[str, ...]
    #: One line of explanation: a source difference, a metadata problem.
    detail: str

    def __init__(
        self,
        *,
        name: str,
        status: Status,
        installed: str | None,
        expected: str | None,
        sites: tuple[str, ...] = (),
        detail: str = "",
    ) -> None:
        self._init(
            name=name, status=status, installed=installed, expected=expected, sites=sites, detail=detail
        )


class Report(_Frozen):
    """The outcome of one validation, ready to be rendered."""

    _fields = (
        "bound", "bound_format", "python", "installed", "records", "repair", "inventory",
        "prefix", "python_version", "bound_files", "files_verified",
    )  # fmt: skip
    __slots__ = _fields
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
    repair: str
    #: Everything found installed, for formats that list it (an SBOM, an audit).
    inventory: Installed | None
    #: The environment's prefix and its Python's full version.
    prefix: str
    python_version: str
    #: Every local file the bound was read from.
    bound_files: tuple[str, ...]
    #: Whether every installed file was checked against its RECORD (``--verify-files``):
    #: the records may then have the statuses of :data:`FILE_STATUSES`.
    files_verified: bool

    def __init__(
        self,
        *,
        bound: str,
        bound_format: str,
        python: str,
        installed: int,
        records: tuple[Record, ...],
        repair: str = "",
        inventory: Installed | None = None,
        prefix: str = "",
        python_version: str = "",
        bound_files: tuple[str, ...] = (),
        files_verified: bool = False,
    ) -> None:
        self._init(
            bound=bound,
            bound_format=bound_format,
            python=python,
            installed=installed,
            records=records,
            repair=repair,
            inventory=inventory,
            prefix=prefix,
            python_version=python_version,
            bound_files=bound_files,
            files_verified=files_verified,
        )

    @property
    def valid(self) -> bool:
        """No finding at all."""
        return not self.records


def record_from_finding(finding: Finding) -> Record:
    """The record of one finding of :func:`tether.runtime.compare.compare`."""
    name, status, installed, expected, sites, detail = finding
    return Record(
        name=name,
        status=status,  # type: ignore[arg-type]  # the runtime's statuses are STATUSES
        installed=installed,
        expected=expected,
        sites=tuple(sites),
        detail=detail,
    )
