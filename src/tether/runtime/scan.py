"""The distributions in a list of site directories, and the stamps that say when a
directory or file has changed.

Each ``*.dist-info`` directory and legacy ``*.egg-info`` (directory or file) is read for
the ``Name`` and ``Version`` headers of its metadata, as ``importlib.metadata`` reads
them, and for its ``direct_url.json``. Problems with what is installed never stop the
scan: they are carried on the :class:`Dist` as ``problem``.
"""

import os

from .metadata import open_regular, read_headers, read_source
from .names import canonical
from .startup import stamp
from .versions import key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import FrozenSet, Iterable, List, Optional, Tuple


__all__ = ["CondaPackage", "Dist", "Leftover", "digest", "scan", "scan_conda", "stamp"]

_SUFFIXES = (".dist-info", ".egg-info")
#: The most read of any one file (a conda record, a bound file's digest), as for bounds.
MAX_BYTES = 64 << 20


class Dist:
    """One ``.dist-info`` or ``.egg-info`` found in a site directory."""

    __slots__ = ("key", "name", "path", "problem", "site", "source", "version")

    def __init__(
        self,
        name: "str",
        version: "str",
        site: "str",
        path: "str",
        *,
        source: "Tuple[object, ...]" = (),
        problem: "Optional[str]" = None,
    ) -> None:
        #: PEP 503-normalized.
        self.name = name
        #: The version as written in the metadata ("" when there is none).
        self.version = version
        #: Its PEP 440 key; ``None`` when the version is missing or invalid.
        self.key = key(version) if version else None
        self.site = site
        #: The metadata directory (or file, for a legacy ``.egg-info`` file).
        self.path = path
        #: The source key (:mod:`.metadata`); ``()`` for an index install.
        self.source = source
        #: What is wrong with the metadata, if anything.
        self.problem = problem
        if problem is None and self.key is None:
            self.problem = "invalid version {!r}".format(version) if version else "no Version in its metadata"


class Leftover:
    """A ``~``-prefixed entry pip leaves behind when an uninstall or upgrade is interrupted."""

    __slots__ = ("name", "path", "site")

    def __init__(self, name: "str", path: "str", site: "str") -> None:
        self.name = name
        self.path = path
        self.site = site


class CondaPackage:
    """One ``conda-meta/*.json`` record of a conda environment."""

    __slots__ = ("name", "owns", "path", "version")

    def __init__(self, name: "str", version: "str", path: "str", owns: "FrozenSet[str]") -> None:
        self.name = name
        self.version = version
        self.path = path
        #: The metadata directories (absolute paths) this package installed.
        self.owns = owns


def _read_dist(site: "str", entry: "str") -> "Dist":
    path = os.path.join(site, entry)
    stem = entry[: -len(".dist-info")] if entry.endswith(".dist-info") else entry[: -len(".egg-info")]
    folder_name = stem.partition("-")[0]
    meta = path
    if os.path.isdir(path):
        meta = os.path.join(path, "METADATA" if entry.endswith(".dist-info") else "PKG-INFO")
    try:
        name, version = read_headers(meta)
    except OSError as e:
        return Dist(
            canonical(folder_name),
            "",
            site,
            path,
            problem="cannot read {} ({})".format(os.path.basename(meta), e.strerror or e),
        )
    source = read_source(path) if meta != path else ()
    problem = None
    if not version:
        problem = "{} has no Version".format(os.path.basename(meta))
    elif source and source[0] == "unreadable":
        problem = str(source[1])
    return Dist(canonical(name or folder_name), version, site, path, source=source, problem=problem)


def _read_egg_link(site: "str", entry: "str") -> "Optional[Dist]":
    """A legacy editable install (``setup.py develop``, ``pip install -e`` before PEP 660):
    ``NAME.egg-link`` holds the project's directory, where ``NAME.egg-info`` is. pip lists
    it as editable from that directory; so does tether.
    """
    link = os.path.join(site, entry)
    try:
        with open_regular(link) as f:
            target = f.read(1 << 16).decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    if not target or not target[0].strip():
        name = canonical(entry[: -len(".egg-link")])
        return Dist(name, "", site, link, problem="names no project directory")
    project = os.path.normpath(os.path.join(site, target[0].strip()))
    want = canonical(entry[: -len(".egg-link")])
    try:
        infos = sorted(e for e in os.listdir(project) if e.endswith(".egg-info"))
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return Dist(want, "", site, link, problem="its project {} is gone".format(project))
    for info in infos:
        if canonical(info[: -len(".egg-info")].partition("-")[0]) == want:
            dist = _read_dist(project, info)
            return Dist(
                dist.name, dist.version, site, dist.path, source=("dir", project, True), problem=dist.problem
            )
    return Dist(want, "", site, link, problem="no {}.egg-info in {}".format(want, project))


def scan(sites: "Iterable[str]") -> "Tuple[List[Dist], List[Leftover]]":
    """Every distribution in *sites*, in the order given (import order), and leftovers.

    A site directory that is missing or unreadable is skipped: nothing in it can be
    imported either. Entries are sorted so that the result does not depend on the file
    system's order.
    """
    dists = []  # type: List[Dist]
    leftovers = []  # type: List[Leftover]
    for site in sites:
        try:
            entries = sorted(os.listdir(site))
        except (OSError, ValueError):
            continue
        for entry in entries:
            if entry.startswith("~"):
                # pip renames what it is removing to "~xxx" and deletes it at the end; a
                # crash leaves it behind (pip warns "Ignoring invalid distribution").
                stem = entry
                for suffix in _SUFFIXES:
                    if stem.endswith(suffix):
                        stem = stem[: -len(suffix)]
                leftovers.append(Leftover(stem, os.path.join(site, entry), site))
            elif entry.endswith(_SUFFIXES):
                dists.append(_read_dist(site, entry))
            elif entry.endswith(".egg-link"):
                dist = _read_egg_link(site, entry)
                if dist is not None:
                    dists.append(dist)
    return dists, leftovers


def scan_conda(prefix: "str") -> "List[CondaPackage]":
    """A conda environment's ``conda-meta/*.json`` records (none without such a folder).

    A record that cannot be read is skipped: conda itself would not know that package.
    """
    meta = os.path.join(prefix, "conda-meta")
    try:
        entries = sorted(e for e in os.listdir(meta) if e.endswith(".json"))
    except (OSError, ValueError):
        return []
    import json

    records = []
    for entry in entries:
        path = os.path.join(meta, entry)
        try:
            with open_regular(path) as f:
                data = json.loads(f.read(MAX_BYTES).decode("utf-8"))
            name, version, files = data["name"], data["version"], data.get("files", [])
            if not isinstance(name, str) or not isinstance(version, str) or not isinstance(files, list):
                continue
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            continue
        owns = frozenset(
            os.path.join(prefix, os.path.dirname(f))
            for f in files
            if isinstance(f, str) and os.path.dirname(f).endswith(_SUFFIXES)
        )
        records.append(CondaPackage(canonical(name), version, path, owns))
    return records


def digest(path: "str") -> "Optional[str]":
    """A digest of a file's content (size, CRC-32 and Adler-32), or ``None`` when it
    cannot be read.

    Taken beside a stamp for the bound's files: when a stamp changes but the content does
    not (a ``git checkout`` back and forth, a restored CI cache, an editor saving without
    a change), what was computed from the file still holds. Two 32-bit checksums and the
    size tell an edit from a touch (the question is never adversarial: whoever can edit
    the file can change what it says); ``zlib`` is loaded already where ``hashlib``
    would cost more than the whole read.
    """
    import zlib

    crc, adler = 0, 1
    size = 0
    try:
        # Not blocking, and only a regular file: a lock replaced by a named pipe must not
        # hang every run (or every start) that checks it; and no more than a bound is
        # ever read (a larger file has no digest: it counts as changed).
        with open_regular(path) as f:
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                if size + len(chunk) > MAX_BYTES:
                    return None
                size += len(chunk)
                crc = zlib.crc32(chunk, crc)
                adler = zlib.adler32(chunk, adler)
    except (OSError, ValueError):
        return None
    return "{}:{:08x}:{:08x}".format(size, crc, adler)
