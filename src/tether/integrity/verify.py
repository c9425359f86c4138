"""Every installed file checked against the ``RECORD`` of the distribution that installed it.

Locking names and versions says nothing of the files: an installed ``.py`` can be edited
or replaced after install, and ``pip`` and ``uv`` do not look again (uv: "we can't check
that the hashes match anymore"). :func:`verify` re-hashes every file each
distribution's ``RECORD`` lists (PEP 376, PEP 627), and walks each *package directory*
(a directory directly in a site directory that holds a recorded file, ``.dist-info``
folders included) for files no ``RECORD`` lists. Its findings:

``modified-file``
    the file's size or hash differs from the RECORD's, or the path is no longer a regular
    file (a symbolic link, a directory, a FIFO: installers write none of these).
``missing-file``
    a recorded file is gone.
``unrecorded-file``
    a file (or symbolic link) in a package directory that no RECORD in the environment
    lists: what a ``pip install`` did not put there.
``outside-file``
    a RECORD row naming a path outside the environment (its prefix, its site
    directories, the user base for the user site): never read.
``unverifiable``
    a distribution whose files cannot be checked: a ``.dist-info`` without a readable,
    well-formed RECORD (the detail says which row), a legacy ``.egg-info`` (no RECORD), or
    a recorded file that cannot be read.

What is not a finding, because a RECORD legitimately leaves it unhashed or Python
itself writes it after install:

- the ``RECORD`` itself (it cannot hold its own hash) and its PEP 376 signatures
  ``RECORD.jws`` and ``RECORD.p7s``;
- byte code in ``__pycache__``: every ``__pycache__`` directory and the ``*.pyc`` files
  in it. pip records the byte code it compiles *without* a hash, Python writes more at
  import; such a file is not reported missing or unrecorded, and its content cannot be
  checked (no RECORD hashes it). A ``*.pyc`` *beside* the sources that no RECORD lists is
  reported unrecorded: Python never writes one there, and imports it with no source at
  all (``import pkg.evil`` runs ``pkg/evil.pyc``);
- any other row without a hash is checked for existence (and size, if it gives one).

``INSTALLER``, ``REQUESTED`` and ``direct_url.json`` are written by the installer and
hashed in the RECORD by pip and uv alike, so they are checked like any other file.

The files are checked by a pool of threads, each reading files in 1 MiB chunks into
one buffer (no file is held in memory whole; ``hashlib`` releases the GIL while it
hashes more than 2 KiB). A file whose size differs from its row is reported without
being read. ``fast=True`` checks sizes only: an edit that keeps the size is then not
seen.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Literal

from tether.errors import RecordError
from tether.records import OwnedFile, read_record

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from tether.runtime.scan import Dist
    from tether.target import Target

__all__ = [
    "FILE_STATUSES",
    "FileFinding",
    "FileStatus",
    "Verification",
    "canonical_pattern",
    "environment_roots",
    "matches_record",
    "select",
    "verify",
    "within",
]

FileStatus = Literal["modified-file", "missing-file", "unrecorded-file", "outside-file", "unverifiable"]
#: Every finding's status, in the order reports list them.
FILE_STATUSES: tuple[FileStatus, ...] = (
    "modified-file",
    "missing-file",
    "unrecorded-file",
    "outside-file",
    "unverifiable",
)
#: Files a RECORD never hashes: itself and its signatures (PEP 376).
UNHASHED = frozenset({"RECORD", "RECORD.jws", "RECORD.p7s"})
_CHUNK = 1 << 20


@dataclass(frozen=True, kw_only=True, slots=True)
class FileFinding:
    """One file (or distribution, for ``unverifiable``) that is not as installed."""

    #: The distribution, PEP 503-normalized.
    name: str
    #: Its version as its metadata says ("" when it says none).
    version: str
    status: FileStatus
    #: The file, absolute (the metadata directory when a whole distribution is unverifiable).
    path: str
    #: The site directory the distribution is installed in.
    site: str
    #: One line: what differs.
    detail: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Verification:
    """What :func:`verify` found, and how much it read."""

    findings: tuple[FileFinding, ...]
    #: Distributions checked (after ``pattern``).
    distributions: int
    #: Recorded files checked, and bytes hashed.
    files: int
    bytes: int
    fast: bool

    @property
    def valid(self) -> bool:
        """No finding at all."""
        return not self.findings


@dataclass(frozen=True, slots=True)
class _Task:
    dist: Dist
    owned: OwnedFile


def canonical_pattern(pattern: str) -> str:
    """A glob on distribution names, written as the names it matches are (PEP 503):
    ``Zope.*`` matches ``zope-interface``."""
    import re

    return re.sub(r"[-_.]+", "-", pattern).lower()


def select(dists: Iterable[Dist], pattern: str | None) -> list[Dist]:
    """The distributions whose PEP 503 name matches the glob *pattern* (all without one)."""
    if pattern is None:
        return list(dists)
    glob = canonical_pattern(pattern)
    return [d for d in dists if fnmatchcase(d.name, glob)]


def environment_roots(target: Target) -> tuple[str, ...]:
    """The directories an environment's files live in (real paths): its prefix (a venv's
    scripts, headers and data are there, as ``../../../bin/pip`` rows say), each site
    directory (the base installation's, for a venv that sees it), and the user base when
    the user site is one of them."""
    roots = [target.prefix, *target.sites]
    if target.user_site is not None and target.user_site in target.sites:
        # ~/.local/lib/pythonX.Y/site-packages -> ~/.local, where user scripts go.
        roots.append(os.path.dirname(os.path.dirname(os.path.dirname(target.user_site))))
    return tuple(dict.fromkeys(os.path.realpath(r) for r in roots))


def within(path: str, roots: Sequence[str], real_dirs: dict[str, str] | None = None) -> bool:
    """Whether *path* (absolute, normalised) is inside one of *roots*, its directory's
    symbolic links resolved (a link to ``/etc`` inside a package is not inside).

    :param real_dirs: resolved directories, kept between calls (most files share one).
    """
    if "\0" in path:
        return False  # no file has such a name; realpath() would raise
    folder = os.path.dirname(path)
    real_dir = None if real_dirs is None else real_dirs.get(folder)
    if real_dir is None:
        real_dir = os.path.realpath(folder)
        if real_dirs is not None:
            real_dirs[folder] = real_dir
    real = os.path.join(real_dir, os.path.basename(path))
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def verify(
    target: Target, *, pattern: str | None = None, fast: bool = False, jobs: int | None = None
) -> Verification:
    """Check every file of the target's distributions (those matching the glob *pattern*)
    against their RECORDs; see the module's docstring for what is reported.

    :param fast: compare sizes only, never hashing.
    :param jobs: threads reading files (default: twice the CPUs, at most 16).
    """
    from tether.installed import scan

    installed = scan(target.sites)
    return verify_dists(select(installed.dists, pattern), target, fast=fast, jobs=jobs)


def verify_dists(
    dists: Sequence[Dist], target: Target, *, fast: bool = False, jobs: int | None = None
) -> Verification:
    """:func:`verify` on the distributions given (found in *target*'s site directories)."""
    roots = environment_roots(target)
    findings: list[FileFinding] = []
    tasks: list[_Task] = []
    recorded: set[str] = set()
    owners: dict[str, Dist] = {}
    real_dirs: dict[str, str] = {}
    for dist in dists:
        owned = _owned(dist, findings)
        for item in owned:
            recorded.add(item.path)
            if "\0" in item.path:
                findings.append(_finding(dist, "unverifiable", item.path, "a RECORD row with a NUL byte"))
            elif not within(item.path, roots, real_dirs):
                findings.append(
                    _finding(
                        dist,
                        "outside-file",
                        item.path,
                        f"RECORD row {item.recorded!r} is outside the environment",
                    )
                )
            elif os.path.dirname(item.path) != dist.path or os.path.basename(item.path) not in UNHASHED:
                tasks.append(_Task(dist, item))
                _own_parents(item.path, dist, owners)
    workers = max(1, min(jobs or min(16, 2 * (os.cpu_count() or 1)), len(tasks) or 1))
    batches = [tasks[i::workers] for i in range(workers)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tether-verify") as pool:
        futures = [pool.submit(_check_batch, batch, fast) for batch in batches]
        # While the pool reads, look for what no RECORD lists.
        findings += _unrecorded(dists, recorded, owners)
        hashed = 0
        for future in futures:
            found, nbytes = future.result()
            findings += found
            hashed += nbytes
    order = {status: i for i, status in enumerate(FILE_STATUSES)}
    findings.sort(key=lambda f: (f.name, order[f.status], f.path))
    return Verification(
        findings=tuple(findings), distributions=len(dists), files=len(tasks), bytes=hashed, fast=fast
    )


def _finding(dist: Dist, status: FileStatus, path: str, detail: str) -> FileFinding:
    return FileFinding(
        name=dist.name, version=dist.version, status=status, path=path, site=dist.site, detail=detail
    )


def _owned(dist: Dist, findings: list[FileFinding]) -> tuple[OwnedFile, ...]:
    """The RECORD of *dist*; an ``unverifiable`` finding (and nothing) when there is none."""
    if not (dist.path.endswith(".dist-info") and os.path.isdir(dist.path)):
        findings.append(
            _finding(dist, "unverifiable", dist.path, "a legacy .egg-info: no RECORD to check against")
        )
        return ()
    try:
        return read_record(dist.path, dist.site)
    except RecordError as e:
        findings.append(_finding(dist, "unverifiable", dist.path, str(e)))
        return ()


def _own_parents(path: str, dist: Dist, owners: dict[str, Dist]) -> None:
    """Mark each directory between *path* and its site directory as holding *dist*'s files
    (nothing for a file outside the site directory: a script, a header)."""
    site = os.path.abspath(dist.site)
    if not path.startswith(site.rstrip(os.sep) + os.sep):
        return
    parent = os.path.dirname(path)
    while parent not in owners and parent != site:
        owners[parent] = dist
        parent = os.path.dirname(parent)


def _check_batch(batch: Sequence[_Task], fast: bool) -> tuple[list[FileFinding], int]:
    """Check *batch* in one thread, with one read buffer."""
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    found: list[FileFinding] = []
    total = 0
    for task in batch:
        status, detail, nbytes = _check(task.owned, fast, buffer, view)
        total += nbytes
        if status is not None:
            found.append(_finding(task.dist, status, task.owned.path, detail))
    return found, total


def _check(
    owned: OwnedFile, fast: bool, buffer: bytearray, view: memoryview
) -> tuple[FileStatus | None, str, int]:
    """``(status, detail, bytes hashed)`` for one recorded file; status ``None`` when it
    is as recorded."""
    path = owned.path
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        if owned.hash is None and path.endswith(".pyc"):
            return None, "", 0  # byte code: Python writes it again when it needs it
        return "missing-file", "recorded, not on disk", 0
    except (OSError, ValueError) as e:
        return "unverifiable", f"cannot look at it ({getattr(e, 'strerror', None) or e})", 0
    kind = _kind(st.st_mode)
    if kind is not None:
        return "modified-file", f"{kind} where RECORD lists a file", 0
    if owned.size is not None and st.st_size != owned.size:
        return "modified-file", f"{st.st_size} bytes, RECORD says {owned.size}", 0
    if owned.hash is None or fast:
        return None, "", 0
    algorithm, want = owned.hash
    want = want.rstrip("=")  # PEP 376 says no padding; a RECORD that pads means the same
    try:
        got, nbytes = _digest(path, algorithm, buffer, view, max(1, len(want) * 3 // 4))
    except OSError as e:
        return "unverifiable", f"cannot read it ({e.strerror or e})", 0
    if got != want:
        return "modified-file", f"its {algorithm} differs from RECORD's", nbytes
    return None, "", nbytes


def matches_record(path: str, recorded: tuple[str, str]) -> bool | None:
    """Whether the file at *path* has the digest its RECORD gives (``(algorithm,
    digest)``, padded or not), read as :func:`verify` reads it; ``None`` when it cannot be
    read as a regular file or the algorithm is unknown here."""
    algorithm, want = recorded[0], recorded[1].rstrip("=")
    buffer = bytearray(1 << 20)
    try:
        got, _ = _digest(path, algorithm, buffer, memoryview(buffer), max(1, len(want) * 3 // 4))
    except (OSError, ValueError):
        return None
    return got == want


def _kind(mode: int) -> str | None:
    """What a path is when it is not a regular file (``None`` when it is)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "a special file"


def _digest(path: str, algorithm: str, buffer: bytearray, view: memoryview, length: int) -> tuple[str, int]:
    """The RECORD form of *path*'s digest (urlsafe base64 without padding), read in
    chunks; a FIFO or a link swapped in since :func:`os.lstat` is refused by the open.

    :param length: the digest's length in bytes for an algorithm without a fixed one
        (``shake_128``, ``shake_256``: the RECORD's digest says how long it is).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb", buffering=0) as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(22, "not a regular file", path)
        h = hashlib.new(algorithm)
        total = 0
        while True:
            n = f.readinto(buffer)
            if not n:
                break
            h.update(view[:n])
            total += n
    digest = h.digest() if h.digest_size else h.digest(length)  # type: ignore[call-arg]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"), total


def _unrecorded(dists: Sequence[Dist], recorded: set[str], owners: dict[str, Dist]) -> list[FileFinding]:
    """The files in the package directories of *dists* that no RECORD lists."""
    tops: dict[str, Dist] = {}
    for path, dist in owners.items():
        site = os.path.abspath(dist.site).rstrip(os.sep) + os.sep
        top = site + path[len(site) :].split(os.sep)[0]
        tops.setdefault(top, dist)
    found = []
    metadata = {d.path for d in dists}
    for top in sorted(tops):
        if os.path.islink(top) or not os.path.isdir(top):
            continue
        for folder, dirs, files in os.walk(top):
            # Links to directories are listed with dirs, and never followed.
            names = [*files, *(d for d in dirs if os.path.islink(os.path.join(folder, d)))]
            dirs[:] = [d for d in dirs if d != "__pycache__" and not os.path.islink(os.path.join(folder, d))]
            for name in names:
                path = os.path.join(folder, name)
                if path in recorded or (name in UNHASHED and folder in metadata):
                    continue
                owner = _owner(folder, owners) or tops[top]
                found.append(
                    _finding(owner, "unrecorded-file", path, "in a package directory, listed by no RECORD")
                )
    return found


def _owner(folder: str, owners: dict[str, Dist]) -> Dist | None:
    while folder not in owners:
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    return owners[folder]
