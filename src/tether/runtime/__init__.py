"""tether's runtime: what runs inside a target interpreter at every start.

Standard library only, Python 3.8 or newer, and nothing of the rest of tether: this
package is copied as a whole into a target's site-packages as ``_tether_hook`` by
``tether site-install``, and the same modules are imported by tether itself as
``tether.runtime``. So the start-up check and ``tether validate`` compare with one
engine and can only give one verdict.

- :mod:`.names`: PEP 503 names.
- :mod:`.versions`: PEP 440 version keys (what ``==`` compares).
- :mod:`.metadata`: core metadata headers and PEP 610 ``direct_url.json`` sources.
- :mod:`.scan`: the distributions in a list of site directories, and stamps.
- :mod:`.compare`: the one comparison of what is installed with what is expected.
- :mod:`.startup` (the per-start fast path) and :mod:`.recheck` (the rest of the hook).

Modules here import each other relatively, never as ``tether.runtime``, so that the
copy works under its own name.
"""
