"""The code each environment runs at interpreter start-up, and who installed it.

Read as ``site`` reads it (``Lib/site.py``, ``addpackage``), without running any of it:

- in a ``*.pth`` file of a site directory (names starting with ``.`` are skipped, as
  ``site`` skips them), each line starting with ``import`` and a space or tab is passed
  to ``exec()``; lines starting with ``#`` are comments, other lines extend ``sys.path``
  and run nothing (they are not listed);
- ``sitecustomize`` and ``usercustomize`` are imported from ``sys.path`` after the
  site directories are added: a module or package of that name in a site directory (or,
  for an interpreter's own prefix, in its ``lib/pythonX.Y``) runs;
- PEP 829 (Python 3.15): each non-blank, non-comment line of a ``<name>.start`` file is
  an entry point ``pkg.mod:callable`` that is called, and a ``<name>.start`` beside a
  ``<name>.pth`` turns off the ``import`` lines of that ``.pth`` (on Python 3.15 and
  later; older Pythons still run them): those are listed with ``superseded_by`` set.

Each hook's file is looked up in the ``RECORD`` of every distribution of its site, and
in the ``files`` of conda's records: the one that lists it is its owner. A hook no
distribution owns (``owner`` is ``None``) was put there by hand, by a tool that does not
record what it writes (virtualenv's ``_virtualenv.pth``), or by malware; a hook whose file
no longer has the hash its owner's RECORD gives is ``modified`` (changed since it was
installed: an ``import`` line appended to setuptools' own ``.pth`` is not setuptools').
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tether.errors import RecordError
from tether.integrity.verify import matches_record
from tether.records import read_record
from tether.runtime.metadata import open_regular
from tether.runtime.scan import MAX_BYTES

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from tether.inventory.models import Environment, Inventory

__all__ = ["Hook", "HookKind", "Owner", "inspect"]

HookKind = Literal["pth", "start", "sitecustomize", "usercustomize"]
_MODULES: tuple[HookKind, ...] = ("sitecustomize", "usercustomize")
#: How much of a line is read at a time.
_PIECE = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Owner:
    """The distribution (or conda package) whose record lists a file."""

    name: str
    version: str
    #: Its ``.dist-info`` directory, or its ``conda-meta/*.json`` record.
    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Hook:
    """One piece of code run at start-up."""

    environment: Environment
    site: str
    kind: HookKind
    #: The file.
    path: str
    #: The 1-based line of a ``.pth`` or ``.start`` file; ``None`` for a module.
    line: int | None
    #: The line, in full (cut past 64 MiB, with a note); for a module, its whole source
    #: (up to 64 MiB).
    content: str
    owner: Owner | None
    #: The ``.start`` file that turns this ``.pth`` line off on Python 3.15 and later.
    superseded_by: str | None = None
    #: Its owner's RECORD gives a hash the file no longer has: changed since it was
    #: installed (an ``import`` line appended to a distribution's own ``.pth``).
    modified: bool = False

    @property
    def unowned(self) -> bool:
        """No distribution's RECORD (nor conda record) lists the file."""
        return self.owner is None


def _read_text(path: str) -> str | None:
    """The source of a module (UTF-8, a BOM dropped, undecodable bytes replaced), up to
    :data:`MAX_BYTES`, with a note when there is more (it all runs); ``None`` when it
    cannot be read."""
    try:
        with open_regular(path) as f:
            data = f.read(MAX_BYTES)
            more = len(f.read(1))
    except (OSError, ValueError):
        return None
    cut = f"\n... [cut: the module is larger than {MAX_BYTES >> 20} MiB]" if more else ""
    return data.decode("utf-8-sig", "replace") + cut


def _owners(env: Environment, site: str) -> dict[str, tuple[Owner, tuple[str, str] | None]]:
    """Every file the distributions of *site* (and conda's records) list, to its owner and
    the hash its RECORD gives (``None`` when it gives none)."""
    owners: dict[str, tuple[Owner, tuple[str, str] | None]] = {}
    for record in env.conda_packages:
        owner = Owner(name=record.name, version=record.version, path=record.path)
        for name in record.files:
            owners.setdefault(os.path.normpath(os.path.join(env.prefix, name)), (owner, None))
    for dist in env.distributions:
        if dist.site != site or not dist.path.endswith(".dist-info"):
            continue
        try:
            files = read_record(dist.path, site)
        except RecordError:
            continue  # what it owns is unknown: its files show as unowned
        owner = Owner(name=dist.name, version=dist.version, path=dist.path)
        for f in files:
            owners.setdefault(f.path, (owner, f.hash))
    return owners


def _differs(path: str, recorded: tuple[str, str] | None) -> bool:
    """Whether *path*'s content no longer has the hash its RECORD gives (read as
    ``tether verify`` reads it; a file that cannot be read, or an algorithm ``hashlib``
    lacks, is not called changed)."""
    return recorded is not None and matches_record(path, recorded) is False


def _lines(path: str) -> Iterator[tuple[int, str]] | None:
    """The numbered lines of a ``.pth`` or ``.start`` file, split as ``site`` splits
    them (UTF-8, a BOM dropped, ``str.splitlines``), read piece by piece so that the whole
    file is looked at whatever its size (64 MiB of comments must not hide an ``import``
    line after them) in bounded memory: a line longer than :data:`MAX_BYTES` characters is
    cut there, with a note saying so. ``None`` when the file cannot be opened as a regular
    file (a FIFO, a device, a directory)."""
    try:
        f = open_regular(path)
    except (OSError, ValueError):
        return None

    def read() -> Iterator[tuple[int, str]]:
        number, kept, cut = 0, "", 0
        with io.TextIOWrapper(f, encoding="utf-8-sig", errors="replace", newline="") as text:
            while piece := text.readline(_PIECE):
                for part in piece.splitlines(keepends=True):
                    body = part.splitlines()[0] if part.splitlines() else ""
                    room = MAX_BYTES - len(kept)
                    kept, cut = kept + body[:room], cut + max(0, len(body) - room)
                    if len(body) != len(part):  # the line ends here
                        number += 1
                        yield number, kept + (f" ... [line cut: {cut} more characters]" if cut else "")
                        kept, cut = "", 0
            if kept or cut:
                yield number + 1, kept + (f" ... [line cut: {cut} more characters]" if cut else "")

    return read()


#: The last entry of a file holding more than :data:`MAX_BYTES` of start-up code (the rest
#: is not listed: memory), so that such a file is flagged, never silently cut short.
_MORE = "[more start-up lines from here on, not listed: over 64 MiB of them]"


def _pth_hooks(lines: Iterable[tuple[int, str]], start: str | None) -> list[tuple[int, str, str | None]]:
    found: list[tuple[int, str, str | None]] = []
    size = 0
    for number, line in lines:
        if line.startswith(("import ", "import\t")):
            if size >= MAX_BYTES:
                found.append((number, _MORE, start))
                break
            found.append((number, line.rstrip(), start))
            size += len(line)
    return found


def _start_hooks(lines: Iterable[tuple[int, str]]) -> list[tuple[int, str, str | None]]:
    found: list[tuple[int, str, str | None]] = []
    size = 0
    for number, line in lines:
        entry = line.strip()
        if entry and not entry.startswith("#"):
            if size >= MAX_BYTES:
                found.append((number, _MORE, None))
                break
            found.append((number, entry, None))
            size += len(entry)
    return found


def _first_file(base: str) -> str | None:
    """The file that an import finds for *base* (a path without suffix), in the order of
    ``importlib``'s ``FileFinder``: an extension module, then ``.py``, then a bare ``.pyc``
    (one not in ``__pycache__``, imported without any source)."""
    folder, stem = os.path.split(base)
    try:
        names = os.listdir(folder)
    except (OSError, ValueError):
        return None
    extension = re.compile(re.escape(stem) + r"(?:\.[^.]+)?\.(?:so|pyd)")
    candidates = [*sorted(n for n in names if extension.fullmatch(n)), f"{stem}.py", f"{stem}.pyc"]
    for name in candidates:
        if os.path.isfile(os.path.join(folder, name)):
            return os.path.join(folder, name)
    return None


def _module(folder: str, name: str) -> str | None:
    """The module *name* that an import finds in *folder*: a package (``name/__init__``)
    first, then a module; each as source, bytecode or an extension (see
    :func:`_first_file`)."""
    return _first_file(os.path.join(folder, name, "__init__")) or _first_file(os.path.join(folder, name))


def _module_text(path: str) -> str | None:
    """The source of a module, or for a compiled one (``.pyc``, ``.so``) what it is: its
    bytes are not text, and it runs all the same."""
    if path.endswith(".py"):
        return _read_text(path)
    try:
        size = os.stat(path).st_size
    except OSError:
        return None
    return f"(compiled module, {size} bytes: no source to show)"


def _customize_modules(
    env: Environment, site: str
) -> list[tuple[HookKind, str, int | None, str, str | None]]:
    """``sitecustomize`` and ``usercustomize`` in *site*, and for a base interpreter in its
    stdlib folder too (where Debian puts its ``sitecustomize``)."""
    folders = [site]
    if env.kind == "base" and os.path.basename(os.path.dirname(site)).startswith("python"):
        folders.append(os.path.dirname(site))
    found: list[tuple[HookKind, str, int | None, str, str | None]] = []
    for folder in folders:
        for kind in _MODULES:
            module = _module(folder, kind)
            text = _module_text(module) if module else None
            if module is not None and text is not None:
                found.append((kind, module, None, text, None))
    return found


def _site_hooks(env: Environment, site: str) -> list[Hook]:
    try:
        names = sorted(os.listdir(site))
    except (OSError, ValueError):
        return []
    found: list[tuple[HookKind, str, int | None, str, str | None]] = []
    for name in names:
        if name.startswith(".") or not name.endswith((".pth", ".start")):
            continue
        path = os.path.join(site, name)
        lines = _lines(path)
        if lines is None:
            continue
        if name.endswith(".pth"):
            start = path[: -len(".pth")] + ".start"
            hooks = _pth_hooks(lines, start if f"{name[:-4]}.start" in names else None)
            found += [("pth", path, n, line, s) for n, line, s in hooks]
        else:
            found += [("start", path, n, line, s) for n, line, s in _start_hooks(lines)]
    found += _customize_modules(env, site)
    if not found:
        return []
    owners = _owners(env, site)
    modified = {
        path: _differs(path, owners[path][1])
        for path in {os.path.normpath(f[1]) for f in found}
        if path in owners
    }
    return [
        Hook(
            environment=env,
            site=site,
            kind=kind,
            path=path,
            line=line,
            content=content,
            owner=owners[os.path.normpath(path)][0] if os.path.normpath(path) in owners else None,
            superseded_by=start,
            modified=modified.get(os.path.normpath(path), False),
        )
        for kind, path, line, content, start in found
    ]


def inspect(inventory: Inventory) -> tuple[Hook, ...]:
    """Every start-up hook in the sites of every environment (each site under the
    environment that owns it), in order of environment, site and file."""
    hooks: dict[tuple[str, int | None], Hook] = {}
    for env in inventory.environments:
        for site in env.sites:
            for hook in _site_hooks(env, site):
                # Two sites of one lib/pythonX.Y share its stdlib folder's sitecustomize.
                hooks.setdefault((hook.path, hook.line), hook)
    return tuple(hooks.values())
