"""The files an installed distribution owns, from its ``RECORD`` (PEP 376, PEP 627).

One reader for every command that needs to know which files belong to which
distribution (``verify``, ``purge``, ``files``, ``inspect``). The rows are parsed by
:mod:`installer.records`, the PyPA's own model of a RECORD (the parser and validation
``installer`` uses when it writes one); this module adds what reading an *installed*
RECORD needs: paths resolved against the site directory (RECORD paths are relative to
it, and may climb out of it with ``..`` for scripts and headers), a cap on what is
read, and a one-line :class:`~tether.errors.RecordError` for a RECORD that is missing,
unreadable or malformed.

Only ``.dist-info`` directories have a RECORD; a legacy ``.egg-info`` has an
``installed-files.txt`` at best, which is not read here (:func:`read_record` raises).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass

from installer.records import InvalidRecordEntry, RecordEntry, parse_record_file

from tether.errors import RecordError
from tether.runtime.metadata import open_regular
from tether.runtime.scan import MAX_BYTES

__all__ = ["OwnedFile", "read_record"]


@dataclass(frozen=True)
class OwnedFile:
    """One row of a RECORD."""

    #: As written in the RECORD, with ``/`` separators (relative to the site directory).
    recorded: str
    #: Absolute and normalised (``..`` resolved lexically; symlinks are not followed).
    path: str
    #: ``(algorithm, urlsafe-base64 digest without padding)``, or ``None`` when the RECORD
    #: leaves it blank (the RECORD itself, ``.pyc`` files installers compiled, ...).
    hash: tuple[str, str] | None
    size: int | None

    @property
    def entry(self) -> RecordEntry:
        """The row as :mod:`installer` models it (``validate_stream`` checks a file)."""
        return RecordEntry.from_elements(
            self.recorded, f"{self.hash[0]}={self.hash[1]}" if self.hash else "", str(self.size or "")
        )


def read_record(dist_path: str, site: str) -> tuple[OwnedFile, ...]:
    """The files the distribution at *dist_path* (a ``.dist-info`` directory in *site*)
    records as its own, in RECORD order.

    :raises RecordError: when the RECORD is missing, not a regular file, larger than
        64 MiB, not UTF-8, or has a malformed row (the message names the file and row).
    """
    record = os.path.join(dist_path, "RECORD")
    try:
        with open_regular(record) as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        msg = f"{record}: cannot read the RECORD ({e.strerror or e})"
        raise RecordError(msg) from e
    if len(data) > MAX_BYTES:
        msg = f"{record}: larger than {MAX_BYTES >> 20} MiB; not read"
        raise RecordError(msg)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        msg = f"{record}: not UTF-8 (byte {e.start})"
        raise RecordError(msg) from e
    owned = []
    base = os.path.abspath(site)
    # Python < 3.11's csv refuses a NUL byte anywhere; 3.11+ reads it as any character. A
    # NUL is stood in for by a character the text does not hold, so that every Python
    # reads the same rows (and the row with the NUL is refused by whoever uses it).
    nul = next(chr(c) for c in range(0xF8FF, 0xE000, -1) if chr(c) not in text) if "\x00" in text else ""
    if nul:
        text = text.replace("\x00", nul)
    try:
        for number, row in enumerate(parse_record_file(text.splitlines(keepends=True)), 1):
            path, hash_, size = (field.replace(nul, "\x00") for field in row) if nul else row
            try:
                entry = RecordEntry.from_elements(path, hash_, size)
            except InvalidRecordEntry as e:
                msg = f"{record}: row {number}: {e}"
                raise RecordError(msg) from e
            digest = (entry.hash_.name, entry.hash_.value) if entry.hash_ is not None else None
            owned.append(OwnedFile(path, os.path.normpath(os.path.join(base, path)), digest, entry.size))
    except InvalidRecordEntry as e:  # a row without three fields, raised by the parser
        msg = f"{record}: {str(e).replace('Row Index ', 'row index ')}"
        raise RecordError(msg) from e
    except csv.Error as e:
        msg = f"{record}: not a CSV file the csv module reads ({e})"
        raise RecordError(msg) from e
    return tuple(owned)
