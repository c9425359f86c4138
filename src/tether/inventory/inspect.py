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
record what it writes (virtualenv's ``_virtualenv.pth``), or by malware.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tether.errors import RecordError
from tether.records import read_record
from tether.runtime.metadata import open_regular
from tether.runtime.scan import MAX_BYTES

if TYPE_CHECKING:
    from tether.inventory.models import Environment, Inventory

__all__ = ["Hook", "HookKind", "Owner", "inspect"]

HookKind = Literal["pth", "start", "sitecustomize", "usercustomize"]
_MODULES: tuple[HookKind, ...] = ("sitecustomize", "usercustomize")


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
    #: The line, in full; for a module, its whole source (up to 64 MiB).
    content: str
    owner: Owner | None
    #: The ``.start`` file that turns this ``.pth`` line off on Python 3.15 and later.
    superseded_by: str | None = None

    @property
    def unowned(self) -> bool:
        """No distribution's RECORD (nor conda record) lists the file."""
        return self.owner is None


def _read_text(path: str) -> str | None:
    """The text of a hook file, as ``site`` decodes a ``.pth`` (UTF-8, a BOM dropped),
    undecodable bytes replaced; ``None`` when it cannot be read."""
    try:
        with open_regular(path) as f:
            data = f.read(MAX_BYTES)
    except (OSError, ValueError):
        return None
    return data.decode("utf-8-sig", "replace")


def _owners(env: Environment, site: str) -> dict[str, Owner]:
    """Every file the distributions of *site* (and conda's records) list, to its owner."""
    owners: dict[str, Owner] = {}
    for record in env.conda_packages:
        owner = Owner(name=record.name, version=record.version, path=record.path)
        for name in record.files:
            owners.setdefault(os.path.normpath(os.path.join(env.prefix, name)), owner)
    for dist in env.distributions:
        if dist.site != site or not dist.path.endswith(".dist-info"):
            continue
        try:
            files = read_record(dist.path, site)
        except RecordError:
            continue  # what it owns is unknown: its files show as unowned
        owner = Owner(name=dist.name, version=dist.version, path=dist.path)
        for f in files:
            owners.setdefault(f.path, owner)
    return owners


def _pth_hooks(text: str, start: str | None) -> list[tuple[int, str, str | None]]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(("import ", "import\t")):
            found.append((number, line.rstrip(), start))
    return found


def _start_hooks(text: str) -> list[tuple[int, str, str | None]]:
    found: list[tuple[int, str, str | None]] = []
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.strip()
        if entry and not entry.startswith("#"):
            found.append((number, entry, None))
    return found


def _module(folder: str, name: str) -> str | None:
    """``name.py`` or ``name/__init__.py`` in *folder*, if there."""
    for candidate in (os.path.join(folder, f"{name}.py"), os.path.join(folder, name, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return None


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
            text = _read_text(module) if module else None
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
        text = _read_text(path)
        if text is None:
            continue
        if name.endswith(".pth"):
            start = path[: -len(".pth")] + ".start"
            lines = _pth_hooks(text, start if f"{name[:-4]}.start" in names else None)
            found += [("pth", path, n, line, s) for n, line, s in lines]
        else:
            found += [("start", path, n, line, s) for n, line, s in _start_hooks(text)]
    found += _customize_modules(env, site)
    if not found:
        return []
    owners = _owners(env, site)
    return [
        Hook(
            environment=env,
            site=site,
            kind=kind,
            path=path,
            line=line,
            content=content,
            owner=owners.get(os.path.normpath(path)),
            superseded_by=start,
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
