"""Severity: CVSS vectors turned into base scores and bands.

The scores are computed by the ``cvss`` library (maintained by Red Hat Product Security;
CVSS v2, v3.0, v3.1 and v4.0, each following its FIRST specification; the tests hold it
to the examples the specifications publish). The band is the specification's qualitative
rating: 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9.0-10.0 critical (0.0: none).

A record may carry several vectors: the newest CVSS version decides (v4 over v3 over v2),
as its authors scored it last. A record without a vector may still carry a severity word
(GitHub's ``database_specific.severity``: ``MODERATE`` is medium); one with neither is
``unknown``, which ``--fail-on`` never reads as low (see :func:`fails`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tether.audit.osv import Advisory

__all__ = ["BANDS", "Score", "band_of", "fails", "rate", "score"]

#: The bands, lowest first; ``unknown`` is none of them.
BANDS = ("none", "low", "medium", "high", "critical")
_WORDS = {"LOW": "low", "MODERATE": "medium", "MEDIUM": "medium", "HIGH": "high", "CRITICAL": "critical"}
_PREFERENCE = {"CVSS_V4": 3, "CVSS_V3": 2, "CVSS_V2": 1}


@dataclass(frozen=True, kw_only=True, slots=True)
class Score:
    """One severity of a record: its type, vector, base score and band."""

    #: ``CVSS_V4``, ``CVSS_V3``, ``CVSS_V2``, or ``database`` (a severity word alone).
    kind: str
    vector: str = ""
    #: The base score, 0.0 to 10.0; ``None`` when the vector could not be scored.
    base: float | None = None
    #: One of :data:`BANDS`, or ``unknown``.
    band: str = "unknown"


def band_of(base: float) -> str:
    """The qualitative rating of a CVSS v3/v4 base score."""
    if base == 0:
        return "none"
    if base < 4:
        return "low"
    if base < 7:
        return "medium"
    return "high" if base < 9 else "critical"


def score(kind: str, vector: str) -> Score:
    """Score one ``severity`` entry of a record; a vector the library refuses is kept,
    unscored (``unknown``), rather than guessed."""
    from cvss import CVSS2, CVSS3, CVSS4  # type: ignore[import-untyped]
    from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

    calculators = {"CVSS_V4": CVSS4, "CVSS_V3": CVSS3, "CVSS_V2": CVSS2}
    calculator = calculators.get(kind)
    if calculator is None:
        return Score(kind=kind, vector=vector)
    try:
        scored = calculator(vector)
    except (CVSSError, ValueError, KeyError, IndexError):
        return Score(kind=kind, vector=vector)
    base = float(scored.base_score if kind == "CVSS_V4" else scored.scores()[0])
    band = band_of(base)
    if kind == "CVSS_V2" and band == "critical":
        band = "high"  # v2's ratings end at high (7.0-10.0)
    return Score(kind=kind, vector=vector, base=base, band=band)


def rate(advisory: Advisory) -> tuple[Score, ...]:
    """Every severity of *advisory*, the one that decides first."""
    scores = sorted(
        (score(kind, vector) for kind, vector in advisory.severity),
        key=lambda s: (s.base is not None, _PREFERENCE.get(s.kind, 0)),
        reverse=True,
    )
    if (not scores or scores[0].base is None) and advisory.database_severity in _WORDS:
        scores.insert(0, Score(kind="database", band=_WORDS[advisory.database_severity]))
    return tuple(scores)


def fails(band: str, threshold: str | None) -> bool:
    """Whether a finding of *band* fails the audit at ``--fail-on`` *threshold*.

    Without a threshold every finding fails. An ``unknown`` severity fails at any
    threshold: not knowing is not a reason to pass (``--ignore-vuln`` accepts one).
    """
    if threshold is None or band == "unknown":
        return True
    return BANDS.index(band) >= BANDS.index(threshold)
