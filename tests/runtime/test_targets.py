"""The runtime gives the same answers in every target Python (3.8 to 3.13) as here.

The other tests in this folder hold the runtime equal to ``packaging`` in the test
interpreter only, but the runtime runs inside targets, as ``_tether_hook``, on whatever
Python 3.8+ they are: a ``str`` method, a ``re`` rule or an ``os`` call that behaves
otherwise on 3.8 would show nowhere else. Here the runtime is copied as the hook copies
it, and :data:`PROBE` runs the same calls in each pyenv Python (a failure under ``CI``
when one is missing, a skip elsewhere) and in-process; the answers must be identical.
The calls are the explicit tables of the other tests, a few hundred seeded random
near-versions, and a scan of a site folder holding what installers (and broken
installs) leave there.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import tether.runtime
from tests.helpers import MakeDist, pyenv_python
from tests.runtime.test_compare import PIP, UNINSTALL
from tests.runtime.test_metadata import HAND_WRITTEN, LENIENT
from tests.runtime.test_versions import DIFFERENT, EQUAL, INVALID, NEAR, PINS
from tether.runtime import compare, metadata, names, recheck, scan, versions

TARGETS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]

#: One function, run with the runtime's modules in a target (as ``_tether_hook``) and
#: here (as ``tether.runtime``): every answer as its ``repr``, which is the same text on
#: every Python for the tuples, strings, numbers and None the runtime returns.
PROBE = """
def answers(m, cases, site):
    out = []
    for text in cases["versions"]:
        out.append(repr(m.versions.key(text)))
    for pin, installed in cases["pins"]:
        a, b = m.versions.key(pin), m.versions.key(installed)
        out.append(repr(None if a is None or b is None else m.versions.pin_holds(a, b)))
    for name in cases["names"]:
        out.append(repr(m.names.canonical(name)))
    for data in cases["direct_urls"]:
        try:
            out.append(repr(m.metadata.source_from_dict(data)))
        except ValueError:
            out.append("ValueError")
    for repair, strays, statuses in cases["repairs"]:
        findings = [(name, status, None, None, (), "") for name, status in statuses]
        out.append(repr(m.compare.repair_command(repair, strays, findings)))
    for argv in cases["argvs"]:
        out.append(repr((m.recheck.program_name(argv), m.recheck.process_name(argv))))
    dists, leftovers = m.scan.scan([site, site + "/missing"])
    for d in dists:
        out.append(repr((d.name, d.version, d.key, d.path[len(site):], d.source, d.problem)))
    for left in leftovers:
        out.append(repr((left.name, left.path[len(site):])))
    for entry in sorted(cases["digests"]):
        out.append(repr(m.scan.digest(site + "/" + entry)))
    return out
"""

#: What a target runs: the copied runtime imported as ``_tether_hook``, the cases on stdin.
CHILD = (
    "import json, sys, types\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "from _tether_hook import compare, metadata, names, recheck, scan, versions\n"
    "m = types.SimpleNamespace(compare=compare, metadata=metadata, names=names, recheck=recheck,\n"
    "                          scan=scan, versions=versions)\n"
    "namespace = {}\n"
    "exec(sys.argv[2], namespace)\n"
    "print(json.dumps(namespace['answers'](m, json.load(sys.stdin), sys.argv[3])))\n"
)


def near_versions(count: int = 400, seed: int = 16) -> list[str]:
    """Seeded random strings over the characters of near-miss versions (``NEAR``): most are
    invalid in some way, many valid, all take the runtime's fast and slow paths."""
    rng = random.Random(seed)
    return ["".join(rng.choice(NEAR) for _ in range(rng.randint(0, 12))) for _ in range(count)]


def cases() -> dict[str, Any]:
    return {
        "versions": [v for pair in EQUAL + DIFFERENT for v in pair] + INVALID + near_versions(),
        "pins": [[pin, installed] for pin, installed, _ in PINS] + [list(p) for p in EQUAL + DIFFERENT],
        "names": [
            "Six_",
            "zope.interface",
            "Foo--Bar__baz..QUX",
            "-_.",
            "\u0130stanbul",
            "",
            "A-_.-B",
            "\u212aelvin",
            "charset_normalizer",
        ],
        "direct_urls": HAND_WRITTEN + LENIENT,
        "repairs": [
            [PIP, UNINSTALL, [["idna", "mismatch"], ["six", "unexpected"], ["zope.x", "unexpected"]]],
            ["", UNINSTALL, [["x", "missing"], ["a b", "unexpected"], ["it's", "unexpected"]]],
            ["pipenv sync", "pipenv clean", [["six", "unexpected"]]],
            ["uv sync", "", [["six", "unexpected"], ["$HOME", "unexpected"]]],
        ],
        "argvs": [
            ["/v/bin/python", "-m", "pip", "install", "-r", "r.txt"],
            ["/v/bin/python3.11", "-IBc", "print(1)"],
            ["/v/bin/python", "-X", "dev", "-W", "error", "/v/bin/pip3.11", "install"],
            ["/v/bin/python", "-mpip", "list"],
            ["/v/bin/python"],
            ["/v/bin/python", "-"],
            ["/usr/bin/uv", "pip", "sync"],
            ["/v/bin/poetry", "run", "app"],
            ["/usr/bin/uv", "--directory", "proj", "run", "app.py"],
            [],
        ],
        "digests": ["six-1.16.0.dist-info/METADATA", "six-1.16.0.dist-info", "no-such-file"],
    }


def site_with_everything(site: Path, make_dist: MakeDist) -> None:
    """What installers write, and what broken installs leave."""
    make_dist(site, "six", "1.16.0")
    make_dist(site, "Zope.Interface", "6.0")
    make_dist(site, "app", "0.1", direct_url={"url": "file:///src/app", "dir_info": {"editable": True}})
    make_dist(site, "lib", "2.0", direct_url={"url": "git+https://x/lib", "vcs_info": {"vcs": "git",
              "commit_id": "abc", "requested_revision": "main"}})  # fmt: skip
    make_dist(site, "odd", "1.0", direct_url={"url": "https://x/y", "dir_info": {}})
    make_dist(site, "bad", "not a version")
    make_dist(site, "none", None, folder="none-0.dist-info")
    (make_dist(site, "broken", "1.0") / "direct_url.json").write_bytes(b"\xff\xfe{")
    (site / "legacy-1.0.egg-info").write_text("Metadata-Version: 1.0\nName: legacy\nVersion: 1.0\n")
    (site / "empty-1.0.dist-info").mkdir()
    (site / "~ip-23.0.dist-info").mkdir()
    (site / "nowhere.egg-link").write_text("/no/such/project\n.\n")


@pytest.mark.parametrize("minor", TARGETS)
def test_the_runtime_answers_alike_in_every_target(minor: str, tmp_path: Path, make_dist: MakeDist) -> None:
    python = pyenv_python(minor)
    hook = tmp_path / "hook" / "_tether_hook"
    shutil.copytree(Path(tether.runtime.__file__).parent, hook, ignore=shutil.ignore_patterns("__pycache__"))
    site = tmp_path / "site"
    site_with_everything(site, make_dist)
    namespace: dict[str, Any] = {}
    exec(PROBE, namespace)  # the same code the target runs
    modules = SimpleNamespace(compare=compare, metadata=metadata, names=names, recheck=recheck, scan=scan,
                              versions=versions)  # fmt: skip
    here = namespace["answers"](modules, cases(), str(site))
    proc = subprocess.run(
        [python, "-I", "-c", CHILD, str(hook.parent), PROBE, str(site)],
        input=json.dumps(cases()), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    there = json.loads(proc.stdout)
    assert len(there) == len(here)
    different = [(i, a, b) for i, (a, b) in enumerate(zip(here, there, strict=True)) if a != b]
    assert different == [], f"{minor} (first 10 of {len(different)}): {different[:10]}"
