"""Benchmark: validating an environment against a requirements.txt, tether vs fetter.

The environment of the ~80-distribution uv project of ``_common.PROJECT_PYPROJECT``, its
bound the project's ``uv pip freeze`` (every distribution pinned ``name==version``).
Interleaved in one run, both without their caches:

- ``tether validate --no-cache -p .venv/bin/python --lock freeze.txt``
- ``fetter -e .venv/bin/python -c 0 validate --bound freeze.txt exit`` (``-e``: only this
  interpreter's sites; ``-c 0``: its ``--cache-duration`` 0, no cache; ``exit``: exit
  code 3 on drift, where the default display exits 0 either way)

Target: tether no slower than fetter (ratio <= 1.0). For context, also timed: tether
with nothing changed (its stamp-checked result cache), fetter with its default 120 s
time-based cache, and ``uv pip sync --check``.

    .venv-test/bin/python benchmarks/bench_validate.py [--runs N]
"""

from __future__ import annotations

import argparse

from _common import (
    Command,
    Row,
    count_dists,
    fetter_validate,
    finish,
    prepare,
    table,
    time_commands,
    tool,
    uv_project,
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    args = prepare(parser, default_runs=50)
    project = uv_project(rebuild=args.rebuild)
    python, freeze = project.python, project.freeze
    tether = [tool("tether"), "validate", "-p", python, "--lock", freeze]
    medians = time_commands(
        {
            "tether": Command([*tether, "--no-cache"]),
            "fetter": Command(fetter_validate(python, freeze)),
            "tether cached": Command(tether),
            "fetter cached": Command(fetter_validate(python, freeze, cache=True)),
            "uv": Command([tool("uv"), "pip", "sync", "--check", "-q", "--python", python, freeze]),
        },
        args.runs,
    )
    base = medians["fetter"]
    rows = [
        Row("fetter validate (-c 0: no cache)", base, base),
        Row("tether validate --no-cache", medians["tether"], base, 1.0),
        Row("tether validate (nothing changed, cached)", medians["tether cached"], base),
        Row("fetter validate (default 120 s cache)", medians["fetter cached"], base),
        Row("uv pip sync --check", medians["uv"], base),
    ]
    lines = len(freeze.read_text().splitlines())
    title = (
        f"requirements.txt ({lines} pins) against {count_dists(project.venv)} installed distributions; "
        f"{args.runs} runs each; ratio to fetter without cache"
    )
    print(table(title, rows))
    finish(rows, args.strict)


if __name__ == "__main__":
    main()
