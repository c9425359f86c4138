"""``tether validate --format cyclonedx``: the environment validated, as a CycloneDX 1.6
software bill of materials (rendered by :mod:`tether.formats.cyclonedx`).

One component per installed distribution, the one Python imports when a name is found
twice (the first on ``sys.path``, as the report counts them: the component count equals
the report's ``installed``), with:

- its PEP 503-normalized name and its version as its metadata says;
- its package URL (``pkg:pypi/NAME@VERSION``), which is also its ``bom-ref``; a
  distribution installed from elsewhere than an index (PEP 610 ``direct_url.json``)
  carries where from as the purl spec's qualifiers: ``vcs_url`` (``git+URL@COMMIT``)
  for a VCS checkout, ``download_url`` for an archive; a local directory has none (its
  path says nothing on another machine);
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
    from tether.report import Report
    from tether.runtime.scan import Dist

__all__ = ["CycloneDxFormatter", "components", "purl"]

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


def _direct_url(dist: Dist) -> DirectUrl | None:
    """*dist*'s PEP 610 ``direct_url.json`` as written (not normalised as the source key
    is), or ``None`` for an index install or one that cannot be read."""
    from packaging.direct_url import DirectUrl, DirectUrlValidationError

    from tether.runtime.metadata import open_regular

    if not dist.source or not os.path.isdir(dist.path):
        return None
    try:
        with open_regular(os.path.join(dist.path, "direct_url.json")) as f:
            return DirectUrl.from_dict(json.loads(f.read(1 << 20)))
    except (OSError, ValueError, RecursionError, DirectUrlValidationError):
        return None


def purl(dist: Dist, direct: DirectUrl | None = None) -> str:
    """The package URL of an installed distribution (see the module's docstring)."""
    from packageurl import PackageURL

    qualifiers = {}
    if direct is not None and direct.vcs_info is not None:
        commit = direct.vcs_info.commit_id
        qualifiers["vcs_url"] = f"{direct.vcs_info.vcs}+{direct.url}" + (f"@{commit}" if commit else "")
    elif direct is not None and direct.archive_info is not None:
        qualifiers["download_url"] = direct.url
    return str(PackageURL(type="pypi", name=dist.name, version=dist.version or None, qualifiers=qualifiers))


def _hashes(direct: DirectUrl | None) -> tuple[tuple[str, str], ...]:
    """The archive hashes *direct* records, in CycloneDX's names."""
    if direct is None or direct.archive_info is None:
        return ()
    hashes = direct.archive_info.hashes or {}
    return tuple((_ALGORITHMS[name], value) for name, value in sorted(hashes.items()) if name in _ALGORITHMS)


def components(dists: Iterable[Dist]) -> list[Component]:
    """One component per name, the first of *dists* (import order) that has it."""
    from tether.formats.cyclonedx import Component

    found: dict[str, Component] = {}
    for dist in dists:
        if dist.name not in found:
            direct = _direct_url(dist)
            found[dist.name] = Component(
                name=dist.name, version=dist.version, purl=purl(dist, direct), hashes=_hashes(direct)
            )
    return list(found.values())


class CycloneDxFormatter:
    """The report's inventory as a CycloneDX 1.6 JSON document."""

    def format(self, report: Report) -> str:
        """The whole document, with a newline."""
        from tether.formats.cyclonedx import render

        return render(components(report.inventory.dists if report.inventory is not None else ()))
