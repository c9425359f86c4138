"""Benchmark: checking a uv project's environment against its uv.lock, tether vs uv.

The ~80-distribution uv project of ``_common.PROJECT_PYPROJECT`` (locked and synced once,
then kept; see ``uv_project``). In the project directory, interleaved in one run,
``tether validate -p .venv --lock uv.lock`` (the console script, as users run it) against
``uv sync --check --offline``, in three situations:

- nothing changed: both tools' caches are valid;
- after an environment change: before each timed run of either tool, site-packages gets
  a new mtime (as any install gives it), so tether's result cache is invalid, the lock not;
- after a lock change, two kinds: uv.lock *touched* (a new mtime, the same content: a
  checkout back and forth, a restored CI cache), and uv.lock *edited* (a trailing comment
  that differs each time: new content, as after a ``git pull``), so that tether must
  read and parse the lock again.

Targets for tether / uv: <= 1.2x, <= 1.5x, <= 3x (the last for both kinds of lock
change). ``tether validate --no-cache`` against ``uv sync --check`` is printed too,
without a target.

    .venv-test/bin/python benchmarks/bench_uv_lock.py [--runs N]
"""

from __future__ import annotations

import argparse

from _common import (
    Command,
    Row,
    bump_mtime,
    count_dists,
    editor,
    finish,
    prepare,
    table,
    time_commands,
    tool,
    uv_check,
    uv_project,
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    args = prepare(parser, default_runs=50)
    project = uv_project(rebuild=args.rebuild)
    tether = [tool("tether"), "validate", "-p", project.venv, "--lock", project.lock]
    uv = uv_check()

    def touch_site() -> None:
        bump_mtime(project.site)

    def touch_lock() -> None:
        bump_mtime(project.lock)

    edit_lock = editor(project.lock)

    situations = [
        # (label, tether's argv, what runs untimed before each run, target ratio)
        ("nothing changed", tether, None, 1.2),
        ("after an environment change", tether, touch_site, 1.5),
        ("after the lock was touched", tether, touch_lock, 3.0),
        ("after the lock was edited", tether, edit_lock, 3.0),
        ("tether --no-cache, nothing changed", [*tether, "--no-cache"], None, None),
    ]
    rows = []
    for label, argv, before, target in situations:
        medians = time_commands(
            {
                "tether": Command(argv, cwd=project.root, before=before),
                "uv": Command(uv, cwd=project.root, before=before),
            },
            args.runs,
        )
        rows += [
            Row(f"{label}: uv sync --check", medians["uv"], medians["uv"]),
            Row(f"{label}: tether validate", medians["tether"], medians["uv"], target),
        ]
    title = (
        f"uv.lock: project of {project.packages()} locked packages, "
        f"{count_dists(project.venv)} installed; {args.runs} runs each; ratio to uv"
    )
    print(table(title, rows))
    finish(rows, args.strict)


if __name__ == "__main__":
    main()
