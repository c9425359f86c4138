"""``inspect``: start-up code, its owner from RECORD, and the hooks nobody owns."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

import pytest

from tests.helpers import MakeDist, run, site_packages, tether
from tether.inventory.discover import discover
from tether.inventory.inspect import inspect

PLANTED = "import os; os.environ.setdefault('PLANTED', '1')  # " + "x" * 200


def record_row(site: Path, rel: str) -> str:
    data = (site / rel).read_bytes()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{rel},sha256={digest},{len(data)}"


def owned_by(site: Path, info: Path, *files: str) -> None:
    """Write *info*'s RECORD listing *files* (relative to *site*) as an installer does."""
    rows = [record_row(site, f) for f in files]
    rows.append(f"{info.name}/RECORD,,")
    (info / "RECORD").write_text("\n".join(rows) + "\n")


@pytest.mark.flows
def test_inspect_flags_an_unowned_import_line_and_attributes_setuptools(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-cache-dir", "setuptools")
    site = site_packages(venv)
    assert (site / "distutils-precedence.pth").exists()
    (site / "zz-planted.pth").write_text(f"# a comment\n/some/path\n{PLANTED}\n")

    proc = tether("inspect", "-p", venv, "--format", "json")
    assert proc.returncode == 1, proc.stderr  # a hook nobody owns
    hooks = {Path(h["path"]).name: h for h in json.loads(proc.stdout)["hooks"]}
    assert set(hooks) == {"distutils-precedence.pth", "zz-planted.pth"}
    setuptools = hooks["distutils-precedence.pth"]
    assert setuptools["owner"]["name"] == "setuptools"
    assert setuptools["owner"]["path"].endswith(".dist-info")
    assert setuptools["unowned"] is False
    assert setuptools["content"].startswith("import os")
    planted = hooks["zz-planted.pth"]
    assert (planted["owner"], planted["unowned"], planted["line"]) == (None, True, 3)
    assert planted["content"] == PLANTED  # in full, never truncated
    text = tether("inspect", "-p", venv)
    assert "UNOWNED (no RECORD lists it)" in text.stdout
    assert "setuptools" in text.stdout
    colored = tether("inspect", "-p", venv, "--color", "always")
    assert "\033[31mUNOWNED (no RECORD lists it)\033[0m" in colored.stdout


def test_start_files_modules_and_owners(tmp_path: Path, make_dist: MakeDist) -> None:
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.15" / "site-packages"
    (venv / "pyvenv.cfg").parent.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.15.0\n")
    info = make_dist(site, "hooked", "1.0")
    site.joinpath("hooked.pth").write_text("import hooked_start\n")
    site.joinpath("hooked.start").write_text("# PEP 829\n\nhooked.start:main\n")
    site.joinpath("sitecustomize.py").write_text("print('customized')\n")
    site.joinpath(".hidden.pth").write_text("import never_run\n")  # site skips dot files
    site.joinpath("paths.pth").write_text("/only/a/path\n#import commented\n")
    site.joinpath("tabbed.pth").write_text("import\tos\n")
    owned_by(site, info, "hooked.pth", "hooked.start", "sitecustomize.py")

    hooks = inspect(discover([str(tmp_path)]))
    found = [(h.kind, Path(h.path).name, h.line, h.content, h.owner.name if h.owner else None) for h in hooks]
    assert found == [
        ("pth", "hooked.pth", 1, "import hooked_start", "hooked"),
        ("start", "hooked.start", 3, "hooked.start:main", "hooked"),
        ("pth", "tabbed.pth", 1, "import\tos", None),
        ("sitecustomize", "sitecustomize.py", None, "print('customized')\n", "hooked"),
    ]
    assert hooks[0].superseded_by == str(site / "hooked.start")
    assert hooks[2].superseded_by is None


def test_conda_records_own_files_too(tmp_path: Path, make_dist: MakeDist) -> None:
    from tests.inventory.test_discover import conda_record

    prefix = tmp_path / "conda"
    site = prefix / "lib" / "python3.11" / "site-packages"
    make_dist(site, "matplotlib", "3.8.0")
    site.joinpath("matplotlib-nspkg.pth").write_text("import sys; sys.modules.setdefault('mpl', None)\n")
    conda_record(prefix / "conda-meta", "matplotlib-base", "3.8.0", "py311_0",
                 ["lib/python3.11/site-packages/matplotlib-nspkg.pth"])  # fmt: skip
    (hook,) = inspect(discover([str(tmp_path)]))
    assert hook.owner is not None
    assert (hook.owner.name, hook.owner.version) == ("matplotlib-base", "3.8.0")


def test_a_broken_record_leaves_its_files_unowned(tmp_path: Path, make_dist: MakeDist) -> None:
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.12" / "site-packages"
    (tmp_path / "venv").mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    info = make_dist(site, "broken", "1.0")
    site.joinpath("broken.pth").write_text("import broken\n")
    (info / "RECORD").write_bytes(b"broken.pth,sha256=\xff\xfe,12\n")
    (hook,) = inspect(discover([str(tmp_path)]))
    assert hook.unowned
    csv_out = tether("inspect", "--root", tmp_path, "--format", "csv")
    assert csv_out.returncode == 1
    assert csv_out.stdout.splitlines()[0] == (
        "environment,site,kind,path,line,owner,owner_version,unowned,superseded_by,content,modified"
    )


def test_a_huge_pth_hides_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What is kept is capped (MAX_BYTES, made small here); what is looked at is not: an
    # import line after the cap's worth of comments, or after an overlong line (site
    # splits on \f too), still runs at start-up, so it must still be listed.
    monkeypatch.setattr("tether.inventory.inspect.MAX_BYTES", 4096)
    site = tmp_path / "v" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (tmp_path / "v" / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.1\n")
    padding = "".join(f"# {'c' * 100}\n" for _ in range(100))
    (site / "a.pth").write_text(f"{padding}import after_padding\n{'x' * 10000}\fimport after_long_line\n")
    (site / "b.pth").write_text(f"import {'y' * 10000}\n" + "import one_of_many\n" * 1000)
    hooks = inspect(discover([str(tmp_path)]))
    a = [(h.line, h.content) for h in hooks if h.path.endswith("a.pth")]
    assert a == [(101, "import after_padding"), (103, "import after_long_line")]
    b = [(h.line, h.content) for h in hooks if h.path.endswith("b.pth")]
    assert b[0] == (1, f"import {'y' * 4089} ... [line cut: 5911 more characters]")
    assert b[-1] == (2, "[more start-up lines from here on, not listed: over 64 MiB of them]")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"sitecustomize.pyc": b"\x00"}, "sitecustomize.pyc", id="bare-pyc"),
        pytest.param(
            {"sitecustomize.cpython-311-x86_64-linux-gnu.so": b"\x7fELF"},
            "sitecustomize.cpython-311-x86_64-linux-gnu.so",
            id="extension",
        ),
        pytest.param({"sitecustomize/__init__.pyc": b"\x00"}, "sitecustomize/__init__.pyc", id="package-pyc"),
        pytest.param(
            {"sitecustomize.py": b"import os\n", "sitecustomize/__init__.py": b"import sys\n"},
            "sitecustomize/__init__.py",
            id="package-before-module",
        ),
    ],
)
def test_compiled_sitecustomize_is_listed(tmp_path: Path, files: dict[str, bytes], expected: str) -> None:
    # Python imports a bare sitecustomize.pyc or an extension module as readily as a .py.
    site = tmp_path / "v" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (tmp_path / "v" / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.1\n")
    for name, data in files.items():
        (site / name).parent.mkdir(exist_ok=True)
        (site / name).write_bytes(data)
    (hook,) = inspect(discover([str(tmp_path)]))
    assert (hook.kind, hook.path, hook.unowned) == ("sitecustomize", str(site / expected), True)
    if not expected.endswith(".py"):
        assert hook.content == f"(compiled module, {len(files[expected])} bytes: no source to show)"


def test_an_owned_pth_changed_since_installed_is_flagged(tmp_path: Path, make_dist: MakeDist) -> None:
    # Malware appending a line to setuptools' own .pth keeps setuptools as the owner; the
    # hash its RECORD gives is what tells the file is no longer what was installed.
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.12" / "site-packages"
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n")
    info = make_dist(site, "setuptools", "69.0.0")
    pth = site / "distutils-precedence.pth"
    pth.write_text("import os; var = 'SETUPTOOLS_USE_DISTUTILS'\n")
    owned_by(site, info, pth.name)
    proc = tether("inspect", "--root", tmp_path, "--format", "json")
    assert proc.returncode == 0, proc.stdout
    assert [h["modified"] for h in json.loads(proc.stdout)["hooks"]] == [False]
    with pth.open("a") as f:
        f.write("import os; os.system('true')\n")
    proc = tether("inspect", "--root", tmp_path, "--format", "json")
    assert proc.returncode == 1
    document = json.loads(proc.stdout)
    assert [(h["owner"]["name"], h["modified"]) for h in document["hooks"]] == [("setuptools", True)] * 2
    assert (document["unowned"], document["modified"]) == (0, 2)
    assert "MODIFIED" in tether("inspect", "--root", tmp_path).stdout


def test_a_module_larger_than_the_cap_says_it_is_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tether.inventory.inspect.MAX_BYTES", 1 << 20)
    site = tmp_path / "v" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (tmp_path / "v" / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.1\n")
    (site / "sitecustomize.py").write_text("# pad\n" * (1 << 18) + "import os\n")
    (hook,) = inspect(discover([str(tmp_path)]))
    assert len(hook.content) < (1 << 20) + 100
    assert hook.content.endswith("\n... [cut: the module is larger than 1 MiB]")


@pytest.mark.parametrize("algorithm", ["shake_128", "shake_256"])
def test_a_shake_hash_in_a_record_is_checked_not_a_traceback(
    tmp_path: Path, make_dist: MakeDist, algorithm: str
) -> None:
    """SHAKE digests have no fixed length (the RECORD's digest gives it): hashing one
    with ``digest()`` raised a TypeError."""
    site = tmp_path / "v" / "lib" / "python3.12" / "site-packages"
    info = make_dist(site, "foo", "1.0")
    pth = site / "foo.pth"
    pth.write_text("import os\n")
    digest = base64.urlsafe_b64encode(hashlib.new(algorithm, pth.read_bytes()).digest(16)).rstrip(b"=")  # type: ignore[call-arg]
    with (info / "RECORD").open("a") as f:
        f.write(f"foo.pth,{algorithm}={digest.decode()},10\n")
    (hook,) = inspect(discover([str(tmp_path)]))
    assert hook.owner is not None
    assert not hook.modified
    pth.write_text("import os; import planted\n")
    (hook,) = inspect(discover([str(tmp_path)]))
    assert hook.modified
