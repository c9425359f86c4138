"""``--format cyclonedx`` for ``validate`` and ``scan``: installed distributions as a
CycloneDX 1.6 software bill of materials (rendered by :mod:`tether.formats.cyclonedx`).

``validate``: one component per installed distribution, the one Python imports when a
name is found twice (the first on ``sys.path``, as the report counts them: the component
count equals the report's ``installed``). ``scan``: one component per distribution of
every environment found, each with the properties ``tether:environment`` (its prefix),
``tether:kind`` and ``tether:site``, and a ``bom-ref`` of its purl and its metadata
directory (the same release in two environments is two components).

Each component has:

- its PEP 503-normalized name and its version as its metadata says;
- its package URL (``pkg:pypi/NAME@VERSION``, validate's ``bom-ref``); a distribution
  installed from elsewhere than an index (PEP 610 ``direct_url.json``) carries where from
  as the purl spec's qualifiers: ``vcs_url`` (``git+URL@COMMIT``) for a VCS checkout,
  ``download_url`` for an archive; a local directory has none (its path says nothing on
  another machine);
- hashes where known: the archive hashes ``direct_url.json`` records (an index install
  records none, and the files installed are not the artifact a hash would name).

The drift ``validate`` found is in its exit code (1), as for every format: a bill of
materials lists what is there, and Dependency-Track and its peers analyse it themselves.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from packaging.direct_url import DirectUrl

    from tether.formats.cyclonedx import Component
    from tether.inventory.models import Inventory
    from tether.report import Report
    from tether.runtime.scan import Dist

__all__ = ["CycloneDxFormatter", "components", "purl", "render_inventory"]

#: PEP 610 / hashlib names to CycloneDX's hash algorithm names.
_ALGORITHMS = {
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
    "sha3_256": "SHA3-256",
    "sha3_384": "SHA3-384",
    "sha3_512": "SHA3-512",
    "blake2b_256": "BLAKE2b-256",
    "blake2b_384": "BLAKE2b-384",
    "blake2b_512": "BLAKE2b-512",
}


def _direct_url(metadata: str) -> DirectUrl | None:
    """The PEP 610 ``direct_url.json`` in *metadata* (a ``.dist-info`` directory) as
    written (not normalised as a source key is), or ``None`` when there is none or it
    cannot be read."""
    from packaging.direct_url import DirectUrl, DirectUrlValidationError

    from tether.runtime.metadata import open_regular

    try:
        with open_regular(os.path.join(metadata, "direct_url.json")) as f:
            return DirectUrl.from_dict(json.loads(f.read(1 << 20)))
    except (OSError, ValueError, RecursionError, DirectUrlValidationError):
        return None


def purl(name: str, version: str, direct: DirectUrl | None = None) -> str:
    """The package URL of an installed distribution (see the module's docstring)."""
    from packageurl import PackageURL

    from tether.errors import shown

    qualifiers = {}
    # A password direct_url.json should not hold (PEP 610) is not sent on: user:****@host.
    url = shown(direct.url) if direct is not None else ""
    if direct is not None and direct.vcs_info is not None:
        commit = direct.vcs_info.commit_id
        qualifiers["vcs_url"] = f"{direct.vcs_info.vcs}+{url}" + (f"@{commit}" if commit else "")
    elif direct is not None and direct.archive_info is not None:
        qualifiers["download_url"] = url
    if "/" not in name:
        return str(PackageURL(type="pypi", name=name, version=version or None, qualifiers=qualifiers))
    # packageurl leaves a "/" of the name as is, and "pkg:pypi/evil/requests" then reads
    # back as the package "requests" (in a namespace): a distribution named so (only a
    # hostile METADATA could be) would pass for another in a vulnerability analysis. The
    # "/" goes through as a stand-in character, whose escape (lower-cased for pypi) then
    # becomes %2F.
    stand_in = next(chr(c) for c in range(0xE000, 0xF8FF) if chr(c) not in name)
    escaped = "".join(f"%{b:02x}" for b in stand_in.encode())
    ref = str(PackageURL(type="pypi", name=name.replace("/", stand_in), version=version or None,
                         qualifiers=qualifiers))  # fmt: skip
    return ref.replace(escaped, "%2F").replace(escaped.upper(), "%2F")


def _hashes(direct: DirectUrl | None) -> tuple[tuple[str, str], ...]:
    """The archive hashes *direct* records, in CycloneDX's names."""
    if direct is None or direct.archive_info is None:
        return ()
    hashes = direct.archive_info.hashes or {}
    return tuple((_ALGORITHMS[name], value) for name, value in sorted(hashes.items()) if name in _ALGORITHMS)


def _component(
    name: str, version: str, metadata: str, *, from_index: bool, properties: tuple[tuple[str, str], ...] = ()
) -> Component:
    from tether.formats.cyclonedx import Component

    direct = None if from_index or not os.path.isdir(metadata) else _direct_url(metadata)
    ref = purl(name, version, direct)
    return Component(
        name=name,
        version=version,
        purl=ref,
        hashes=_hashes(direct),
        bom_ref=f"{ref}#{metadata}" if properties else "",
        properties=properties,
    )


def components(dists: Iterable[Dist]) -> list[Component]:
    """One component per name, the first of *dists* (import order) that has it."""
    found: dict[str, Component] = {}
    for dist in dists:
        if dist.name not in found:
            found[dist.name] = _component(dist.name, dist.version, dist.path, from_index=not dist.source)
    return list(found.values())


def render_inventory(inventory: Inventory) -> str:
    """``scan --format cyclonedx``: every distribution of every environment found."""
    from tether.formats.cyclonedx import render

    return render(
        [
            _component(
                d.name,
                d.version,
                d.path,
                from_index=not d.source,
                properties=(
                    ("tether:environment", e.prefix),
                    ("tether:kind", e.kind),
                    ("tether:site", d.site),
                ),
            )
            for e in inventory.environments
            for d in e.distributions
        ]
    )


class CycloneDxFormatter:
    """``validate --format cyclonedx``: the report's inventory as a CycloneDX 1.6 document."""

    def format(self, report: Report) -> str:
        """The whole document, with a newline."""
        from tether.formats.cyclonedx import render

        return render(components(report.inventory.dists if report.inventory is not None else ()))
