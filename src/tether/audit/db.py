"""An offline advisory database: an OSV export read from disk, for air-gapped audits.

Two layouts are read:

- the ``all.zip`` OSV publishes per ecosystem (one JSON record per member, e.g.
  ``PyPI/all.zip``), or any zip of ``.json``/``.yaml`` records;
- a directory of records, walked recursively: ``.json``, ``.yaml`` and ``.yml`` files
  (a clone of the PyPA advisory database, or an unpacked export). Hidden entries
  (``.git``) are skipped, and so are files of other types.

Every record must be an OSV record: a file that is not (invalid JSON or YAML, a record
without an ``id``) stops the audit with one line naming it, since a database that is
partly read would report partly. YAML is read with every scalar a string (``1.10`` stays
``1.10``, a date stays the text of the record).

Reading a large export takes a while (2,600 YAML records: about 0.8 s), so the records
are indexed by package name once and the index is kept in tether's cache directory,
used again only while every file and directory it was read from has the same stamp
(:mod:`tether._cache`). Records are parsed only for the packages audited.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from typing import TYPE_CHECKING

from tether.audit.osv import Advisory, package_names, parse_advisory
from tether.errors import AuditError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["Database", "open_database"]

_SUFFIXES = (".json", ".yaml", ".yml")
#: The largest record read (OSV records are a few KB; a zip member may claim anything).
_MAX_RECORD = 16 << 20
_INDEX_VERSION = 2


class Database:
    """Records indexed by the PyPI packages they name; parsed on first use."""

    def __init__(self, path: str, by_name: dict[str, list[tuple[str, str]]]) -> None:
        self.path = path
        #: canonical name -> ``(where, record as JSON text)`` pairs: text, since loading
        #: the cached index then copies strings instead of building every record's objects.
        self.by_name = by_name
        self._parsed: dict[str, tuple[Advisory, ...]] = {}

    def advisories(self, name: str) -> tuple[Advisory, ...]:
        """Every record naming *name* (canonical), parsed.

        :raises AuditError: for a record that is not an OSV record.
        """
        found = self._parsed.get(name)
        if found is None:
            found = tuple(parse_advisory(json.loads(raw), where) for where, raw in self.by_name.get(name, ()))
            self._parsed[name] = found
        return found

    def __len__(self) -> int:
        return len({where for records in self.by_name.values() for where, _ in records})


def open_database(path: str, *, use_cache: bool = True) -> Database:
    """The database at *path* (an ``all.zip`` or a directory of records).

    :raises AuditError: when it cannot be read, or holds what is not an OSV record.
    """
    from tether import _cache

    where = os.path.abspath(path)
    # *path* as typed is in the key too: the index holds each record's place as shown in
    # messages (``records/x.yaml``), which another spelling of the same folder, or the
    # same spelling from another directory, must not be told.
    # And tether's own code (0.3 ms): what an index holds is what this code read, and an
    # edit that forgets to raise _INDEX_VERSION must not be answered by the old reading.
    key: tuple[object, ...] = (_INDEX_VERSION, _cache._code_stamp(), where, path)
    if use_cache:
        cached = _cache.get("osv-db", key)
        if isinstance(cached, dict):
            return Database(path, cached)
    if os.path.isdir(where):
        stamps = _cache.take_stamps(_tree(where, path))
        by_name = _index(_directory(where, path))
    elif os.path.isfile(where):
        stamps = _cache.take_stamps([where])
        by_name = _index(_zip(where, path))
    elif os.path.exists(where):
        raise AuditError(
            path, "not a regular file nor a directory (expected an OSV all.zip or a directory of records)"
        )
    else:
        raise AuditError(
            path, "no such file or directory (expected an OSV all.zip or a directory of records)"
        )
    if not by_name:
        # The wrong folder, or another ecosystem's export: every package would pass.
        raise AuditError(
            path, "holds no OSV record of a PyPI package (expected an OSV all.zip or a directory of records)"
        )
    if use_cache:
        _cache.put("osv-db", key, stamps, by_name)
    return Database(path, by_name)


def _index(records: Iterator[tuple[str, object]]) -> dict[str, list[tuple[str, str]]]:
    by_name: dict[str, list[tuple[str, str]]] = {}
    for where, raw in records:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise AuditError(where, "not an OSV record: expected a mapping with an 'id'")
        names = set(package_names(raw, where))
        if not names:
            continue
        text = json.dumps(raw)
        for name in names:
            by_name.setdefault(name, []).append((where, text))
    return by_name


def _visible(name: str) -> bool:
    return not name.startswith(".")


def _tree(root: str, display: str) -> Iterator[str]:
    """Every directory and record file under *root* (what the index depends on)."""
    for folder, dirs, files in os.walk(root, onerror=_walk_error(display)):
        dirs[:] = sorted(filter(_visible, dirs))
        yield folder
        yield from (os.path.join(folder, f) for f in sorted(files) if f.endswith(_SUFFIXES) and _visible(f))


def _walk_error(display: str) -> Callable[[OSError], None]:
    def fail(error: OSError) -> None:
        raise AuditError(error.filename or display, f"cannot read it ({error.strerror or error})")

    return fail


def _directory(root: str, display: str) -> Iterator[tuple[str, object]]:
    for path in _tree(root, display):
        if not path.endswith(_SUFFIXES):
            continue
        shown = os.path.join(display, os.path.relpath(path, root))
        try:
            # O_NONBLOCK: a FIFO named like a record would block the open until a writer came.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            with open(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise AuditError(shown, "not a regular file (expected an OSV record)")
                data = f.read(_MAX_RECORD + 1)
        except OSError as e:
            raise AuditError(shown, f"cannot read it ({e.strerror or e})") from e
        yield shown, _load(data, shown)


def _zip(path: str, display: str) -> Iterator[tuple[str, object]]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as e:
        raise AuditError(display, f"not an OSV all.zip nor a directory of records ({e})") from e
    with archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or not name.endswith(_SUFFIXES) or not _visible(os.path.basename(name)):
                continue
            shown = f"{display}:{name}"
            if info.file_size > _MAX_RECORD:
                raise AuditError(shown, f"a record of {info.file_size} bytes; expected at most {_MAX_RECORD}")
            try:
                data = archive.read(info)
            except (OSError, zipfile.BadZipFile, ValueError, RuntimeError, NotImplementedError) as e:
                # RuntimeError: an encrypted member; NotImplementedError: a compression
                # method zipfile does not know.
                raise AuditError(shown, f"cannot read it from the zip ({e})") from e
            yield shown, _load(data, shown)


def _load(data: bytes, where: str) -> object:
    if len(data) > _MAX_RECORD:
        raise AuditError(where, f"a record larger than {_MAX_RECORD} bytes")
    if where.endswith(".json"):
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as e:
            raise AuditError(where, f"invalid JSON ({e})") from e
    import yaml

    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    try:
        record = yaml.load(data, Loader=loader)  # noqa: S506 - BaseLoader builds only str/list/dict
    except (yaml.YAMLError, RecursionError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise AuditError(where, f"invalid YAML ({first})") from e
    if b"*" in data:  # an alias needs one; most records have none, and skip the walk
        _no_shared_nodes(record, where)
    return record


def _no_shared_nodes(record: object, where: str) -> None:
    """Refuse a record in which an alias repeats a list or mapping.

    The loader builds an aliased node once and shares it, so a few hundred bytes of
    nested aliases ("billion laughs") load at once, and then expand without end when the
    record is indexed (written as JSON) or matched. OSV records hold no aliases.
    """
    seen: set[int] = set()
    stack = [record]
    while stack:
        item = stack.pop()
        if isinstance(item, dict | list):
            if id(item) in seen:
                raise AuditError(where, "invalid YAML for an OSV record (an alias '*' repeats a node)")
            seen.add(id(item))
            stack.extend(item.values() if isinstance(item, dict) else item)
