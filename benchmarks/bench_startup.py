"""Benchmark: what the start-up check adds to every start of ``python``.

``python -c pass`` with tether's hook against a twin venv without it (identical content),
timed interleaved in one run, on:

(a) a venv of 2,000 distributions (``python -m venv --without-pip`` plus 2,000 written
    ``.dist-info`` folders), hooked with ``tether site-install --lock requirements.txt``
    pinning all of them;
(b) the ~80-distribution uv project of ``_common.PROJECT_PYPROJECT`` (twins synced from
    its uv.lock), hooked with ``tether site-install --lock uv.lock``; fetter's hook
    (``fetter site-install``, fetter installed in a third twin so that its hook runs,
    bound by the environment's ``uv pip freeze``) is a third column.

Every environment is valid, so each hook takes its clean path; before timing, each hook
is shown to be loaded and tether's to report an added distribution. Prints medians and
the ratio hooked / bare (target: <= 1.05).

    .venv-test/bin/python benchmarks/bench_startup.py [--runs N] [--dists N]
"""

from __future__ import annotations

import argparse
import importlib.metadata

from _common import (
    Command,
    Row,
    bare_venv,
    check_hook_loaded,
    check_hook_reports_drift,
    check_starts_cleanly,
    count_dists,
    finish,
    prepare,
    project_twin,
    run,
    scratch,
    site_packages,
    synthetic_dists,
    table,
    time_commands,
    tool,
    uv_project,
    write_dists,
)

TARGET = 1.05


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dists", type=int, default=2000, help="distributions in venv (a) (default: 2000)")
    args = prepare(parser, default_runs=200)
    project = uv_project(rebuild=args.rebuild)
    root = scratch()

    # (a) 2,000 distributions: two identical venvs, one hooked.
    dists = synthetic_dists(args.dists)
    requirements = root / "requirements-2k.txt"
    requirements.write_text("".join(f"{name}=={version}\n" for name, version in dists))
    big_bare = bare_venv(root / "big-bare")
    big_tether = bare_venv(root / "big-tether")
    for python in (big_bare, big_tether):
        write_dists(site_packages(python.parent.parent), dists)
    run([tool("tether"), "site-install", "-p", big_tether, "--lock", requirements])

    # (b) the uv project: three twins synced from its uv.lock, two hooked.
    bare = project_twin(project, root / "uv-bare")
    hooked = project_twin(project, root / "uv-tether")
    fetter = project_twin(project, root / "uv-fetter")
    run([tool("tether"), "site-install", "-p", hooked, "--lock", project.lock])
    version = importlib.metadata.version("fetter")
    run([tool("uv"), "pip", "install", "-q", "--offline", "--python", fetter, f"fetter=={version}"])
    fetter_site_install = ["site-install", "--bound", project.freeze, "--superset", "warn"]
    run([fetter.parent / "fetter", "-q", "-e", fetter, *fetter_site_install])

    for python in (big_bare, big_tether, bare, hooked, fetter):
        check_starts_cleanly(python)
    for python, twin in ((big_tether, big_bare), (hooked, bare), (fetter, bare)):
        check_hook_loaded(python, twin)
    for python in (big_tether, hooked):
        check_hook_reports_drift(python, site_packages(python.parent.parent))

    medians = time_commands(
        {
            "big bare": Command([big_bare, "-c", "pass"]),
            "big tether": Command([big_tether, "-c", "pass"]),
            "uv bare": Command([bare, "-c", "pass"]),
            "uv tether": Command([hooked, "-c", "pass"]),
            "uv fetter": Command([fetter, "-c", "pass"]),
        },
        args.runs,
    )
    big = [
        Row("python -c pass, bare twin", medians["big bare"], medians["big bare"]),
        Row("python -c pass, tether's hook", medians["big tether"], medians["big bare"], TARGET),
    ]
    uv = [
        Row("python -c pass, bare twin", medians["uv bare"], medians["uv bare"]),
        Row("python -c pass, tether's hook", medians["uv tether"], medians["uv bare"], TARGET),
        Row("python -c pass, fetter's hook (+fetter)", medians["uv fetter"], medians["uv bare"]),
    ]
    n_big = count_dists(big_bare.parent.parent)
    n_uv = count_dists(bare.parent.parent)
    print(table(f"(a) start-up, venv of {n_big} distributions, {args.runs} runs each", big))
    print()
    print(table(f"(b) start-up, uv project of {n_uv} distributions (uv.lock), {args.runs} runs each", uv))
    finish(big + uv, args.strict)


if __name__ == "__main__":
    main()
