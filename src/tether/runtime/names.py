"""PEP 503 project names, without ``re`` (it is not loaded at interpreter start).

Equal to ``packaging.utils.canonicalize_name`` for every name (checked by the tests).
"""

__all__ = ["canonical"]


def canonical(name: str) -> str:
    """Lower-case *name* and turn each run of ``-``, ``_`` and ``.`` into one ``-``."""
    name = name.lower().replace("_", "-").replace(".", "-")
    while "--" in name:
        name = name.replace("--", "-")
    return name
