"""``derive``: a requirements file from what is installed, anchors and markers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.helpers import MakeDist, run, tether
from tether.inventory.derive import derive
from tether.inventory.discover import discover


@pytest.mark.flows
def test_derive_exact_round_trips_through_validate(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-cache-dir", "six", "attrs", "idna")
    requirements = tmp_path / "venv.txt"
    proc = tether("derive", "--anchor", "exact", "-p", venv, "-o", requirements)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in requirements.read_text().splitlines() if not line.startswith("#")]
    assert all("==" in line for line in lines)
    assert {Requirement(line).name for line in lines} >= {"six", "attrs", "idna", "pip"}
    proc = tether("validate", "-p", venv / "bin" / "python", "--lock", requirements, "--no-cache")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # And drift is seen: the derived file no longer holds once something is removed.
    run(venv / "bin" / "python", "-m", "pip", "uninstall", "-q", "-y", "six")
    proc = tether("validate", "-p", venv / "bin" / "python", "--lock", tmp_path / "venv.txt", "--no-cache")
    assert proc.returncode == 1


def two_pythons(tmp_path: Path, make_dist: MakeDist) -> None:
    """Four venvs: two of Python 3.11 and two of 3.12, holding different versions."""
    layout = {
        "a311": ("3.11.7", {"attrs": "23.1.0", "six": "1.16.0", "tomli": "2.0.1"}),
        "b311": ("3.11.7", {"attrs": "23.2.0", "six": "1.16.0", "tomli": "2.0.1"}),
        "a312": ("3.12.1", {"attrs": "23.2.0", "six": "1.16.0", "zipp": "0.6.0"}),
        "b312": ("3.12.1", {"attrs": "23.2.0", "six": "1.16.0"}),
    }
    for name, (version, dists) in layout.items():
        venv = tmp_path / name
        minor = ".".join(version.split(".")[:2])
        for dist, dist_version in dists.items():
            make_dist(venv / "lib" / f"python{minor}" / "site-packages", dist, dist_version)
        (venv / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = {version}\n")


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        pytest.param(
            "exact",
            [
                'attrs<=23.2.0,>=23.1.0; python_version == "3.11"',
                'attrs==23.2.0; python_version == "3.12"',
                "six==1.16.0",
                'tomli==2.0.1; python_version == "3.11"',
                'zipp==0.6.0; python_version == "3.12"',
            ],
            id="exact",
        ),
        pytest.param(
            "lower",
            [
                'attrs>=23.1.0; python_version == "3.11"',
                'attrs>=23.2.0; python_version == "3.12"',
                "six>=1.16.0",
                'tomli>=2.0.1; python_version == "3.11"',
                'zipp>=0.6.0; python_version == "3.12"',
            ],
            id="lower",
        ),
        pytest.param(
            "upper",
            [
                "attrs<=23.2.0",
                "six<=1.16.0",
                'tomli<=2.0.1; python_version == "3.11"',
                'zipp<=0.6.0; python_version == "3.12"',
            ],
            id="upper",
        ),
        pytest.param(
            "range",
            [
                'attrs<24,>=23.1.0; python_version == "3.11"',
                'attrs<24,>=23.2.0; python_version == "3.12"',
                "six<2,>=1.16.0",
                'tomli<3,>=2.0.1; python_version == "3.11"',
                'zipp<0.7,>=0.6.0; python_version == "3.12"',
            ],
            id="range",
        ),
    ],
)
def test_anchors_and_markers(tmp_path: Path, make_dist: MakeDist, anchor: str, expected: list[str]) -> None:
    two_pythons(tmp_path, make_dist)
    derived = derive(discover([str(tmp_path)]), anchor)  # type: ignore[arg-type]
    assert [str(r) for r in derived.requirements] == expected
    if anchor == "exact":
        assert derived.notes == (
            "attrs: environments of Python 3.11 hold 23.1.0, 23.2.0; written as <=23.2.0,>=23.1.0",
            # b312 has no zipp, a312 has: no marker tells them apart.
            "1 named here are missing from some environments of the same Python version (zipp); "
            "those environments satisfy the file with --subset",
        )
    # Every line parses back, and each environment satisfies what is written for it.
    for req in derived.requirements:
        for version in ("3.11", "3.12"):
            if req.marker is None or req.marker.evaluate({"python_version": version}):
                assert req.specifier, req


def test_broken_and_direct_distributions_are_notes(tmp_path: Path, make_dist: MakeDist) -> None:
    site = tmp_path / "v" / "lib" / "python3.11" / "site-packages"
    make_dist(site, "good", "1.0")
    make_dist(site, "noversion", None)
    make_dist(site, "badversion", "not a version")
    make_dist(site, "local", "0.1", direct_url={"url": "file:///src/local", "dir_info": {"editable": True}})
    (tmp_path / "v" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    derived = derive(discover([str(tmp_path)]))
    assert [str(r) for r in derived.requirements] == ["good==1.0", "local==0.1"]
    assert derived.notes == (
        f"{site / 'badversion-not a version.dist-info'}: left out (invalid version 'not a version')",
        "local: installed from /src/local (editable); pinned by version only",
        f"{site / 'noversion-None.dist-info'}: left out (METADATA has no Version)",
    )


def test_a_venv_with_system_site_packages_derives_what_it_imports(
    tmp_path: Path, make_dist: MakeDist
) -> None:
    base = tmp_path / "base"
    make_dist(base / "lib" / "python3.12" / "site-packages", "pip", "23.2.1")
    make_dist(base / "lib" / "python3.12" / "site-packages", "six", "1.15.0")
    venv = tmp_path / "venv"
    make_dist(venv / "lib" / "python3.12" / "site-packages", "six", "1.16.0")
    (venv / "pyvenv.cfg").write_text(
        f"home = {base / 'bin'}\ninclude-system-site-packages = true\nversion = 3.12.1\n"
    )
    inventory = discover(python=str(venv))
    assert [e.prefix for e in inventory.environments] == [str(base), str(venv)]
    (env,) = [e for e in inventory.environments if e.prefix == str(venv)]
    # Its own six shadows the base's, as on sys.path.
    assert [(d.name, d.version) for d in inventory.visible(env)] == [("six", "1.16.0"), ("pip", "23.2.1")]
    assert [e.inherited_only for e in inventory.environments] == [True, False]
    assert [str(r) for r in derive(inventory).requirements] == ["pip==23.2.1", "six==1.16.0"]


@pytest.mark.parametrize("anchor", ["exact", "lower", "upper", "range"])
def test_every_anchor_holds_for_odd_versions(tmp_path: Path, make_dist: MakeDist, anchor: str) -> None:
    # A local label (PEP 440 forbids it after >=, <=, <), an epoch (a bare "<3" is below
    # every "1!" version), a post- and a pre-release: each environment must satisfy the
    # line written for it.
    layout = {
        "a": ("3.11", {"local": "1.0+cpu", "epoch": "1!2.0", "post": "1.0.post1", "pre": "2.0rc1"}),
        "b": ("3.11", {"local": "1.0+cu118", "epoch": "0.0.1", "post": "1.0.post1", "pre": "2.0rc1"}),
        "c": ("3.12", {"local": "2.1+cpu", "epoch": "1!2.0", "post": "0.0.1", "pre": "1.0a1"}),
    }
    for name, (minor, dists) in layout.items():
        for dist, version in dists.items():
            make_dist(tmp_path / name / "lib" / f"python{minor}" / "site-packages", dist, version)
        (tmp_path / name / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = {minor}.1\n")
    derived = derive(discover([str(tmp_path)]), anchor)  # type: ignore[arg-type]
    for minor, dists in layout.values():
        for dist, version in dists.items():
            (req,) = [
                r
                for r in derived.requirements
                if r.name == dist and (r.marker is None or r.marker.evaluate({"python_version": minor}))
            ]
            assert req.specifier.contains(version, prereleases=True), (str(req), version)


def test_a_name_that_is_no_distribution_name_is_left_out(tmp_path: Path, make_dist: MakeDist) -> None:
    # Requirement() refuses such a name: it must be a note, not a traceback.
    site = tmp_path / "v" / "lib" / "python3.11" / "site-packages"
    make_dist(site, "good", "1.0")
    make_dist(site, '=HYPERLINK("x")', "1.0", folder="evil-1.0.dist-info")
    (tmp_path / "v" / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.1\n")
    derived = derive(discover([str(tmp_path)]))
    assert [str(r) for r in derived.requirements] == ["good==1.0"]
    assert derived.notes == (
        f"{site / 'evil-1.0.dist-info'}: left out (name '=hyperlink(\"x\")' is not a valid distribution name)",
    )
    proc = tether("derive", "-p", tmp_path / "v")
    assert (proc.returncode, proc.stdout.splitlines()[-1]) == (0, "good==1.0"), proc.stderr


def test_a_conda_python_version_with_letters_still_orders(tmp_path: Path, make_dist: MakeDist) -> None:
    """A conda record's version is whatever its JSON says: ``3.11x`` is Python 3.11 to
    the marker, not a traceback when derive orders the versions."""
    conda = tmp_path / "c"
    (conda / "conda-meta").mkdir(parents=True)
    (conda / "conda-meta" / "python-3.11x-h.json").write_text(
        '{"name": "python", "version": "3.11x", "build": "h", "files": []}'
    )
    make_dist(conda / "lib" / "python3.11" / "site-packages", "foo", "1.0")
    venv = tmp_path / "v"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n")
    make_dist(venv / "lib" / "python3.12" / "site-packages", "foo", "2.0")
    derived = derive(discover([str(tmp_path)]), "exact")
    assert [str(r) for r in derived.requirements] == [
        'foo==1.0; python_version == "3.11"',
        'foo==2.0; python_version == "3.12"',
    ]
