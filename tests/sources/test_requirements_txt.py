from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import data_file, linux_311
from tests.sources.conftest import read_named
from tether.errors import BoundError
from tether.sources import load_bound
from tether.sources.requirements_txt import RequirementsReader, _logical_lines
from tether.target import Target


def read(path: Path, target: Target | None = None):
    return read_named(RequirementsReader(), path, target=target)


def pins(bound) -> dict[str, str]:
    return {e.name: str(e.specifier) for e in bound.expectations}


def test_pip_compile_with_hashes_and_options() -> None:
    bound = read(data_file("requirements", "pip-compile-hashes.txt"))
    assert pins(bound) == {
        "certifi": "==2024.2.2",
        "charset-normalizer": "==3.3.2",
        "idna": "==3.6",
        "requests": "==2.31.0",
        "urllib3": "==2.2.1",
    }
    assert bound.follow == "allow"
    assert bound.repair.startswith("pip-sync ")
    (requests,) = [e for e in bound.expectations if e.name == "requests"]
    assert requests.extras == frozenset({"socks"})
    assert requests.origin.endswith("pip-compile-hashes.txt:22")


def test_universal_markers_follow_the_target() -> None:
    path = data_file("requirements", "uv-pip-compile-universal.txt")
    assert set(pins(read(path))) == {"click", "iniconfig", "packaging", "pluggy", "pytest"}
    data = linux_311()
    old = Target.from_query(
        {**_raw(data), "markers": {**data.markers, "python_full_version": "3.9.1", "python_version": "3.9"}}
    )
    assert {"exceptiongroup", "tomli"} <= set(pins(read(path, old)))
    assert read(path).repair.startswith("uv pip sync ")


def _raw(t: Target) -> dict[str, object]:
    return {
        "executable": t.executable,
        "prefix": t.prefix,
        "venv": t.venv,
        "sites": list(t.sites),
        "user_site": t.user_site,
        "purelib": t.purelib,
        "markers": t.markers,
        "version": list(t.version),
        "implementation": t.implementation,
        "abiflags": t.abiflags,
        "gil_disabled": t.gil_disabled,
    }


def test_nested_files_constraints_and_markers() -> None:
    bound = read(data_file("requirements", "nested", "base.txt"))
    assert pins(bound) == {
        "six": "==1.16.0",
        "attrs": "==23.2.0",
        "flask": "<3,>=2.0",
        "rich": "==13.7.1",
    }
    assert bound.follow == "check"  # flask is a range


def test_direct_urls_and_editables() -> None:
    path = data_file("requirements", "direct-urls.txt")
    bound = read(path)
    by_name = {e.name: e for e in bound.expectations}
    assert sorted(by_name) == ["local-proj", "pkg-a", "pkg-b", "pkg-c", "pkg-d"]
    assert by_name["pkg-a"].source is not None and by_name["pkg-a"].source.kind == "url"
    b = by_name["pkg-b"].source
    assert b is not None and (b.kind, b.vcs, b.commit) == (
        "vcs",
        "git",
        "0123456789abcdef0123456789abcdef01234567",
    )
    assert str(by_name["pkg-c"].specifier) == "==2.0"
    local = by_name["local-proj"].source
    assert local is not None and (local.kind, local.editable) == ("directory", True)
    assert local.url == str(path.parent / "localproj")
    d = by_name["pkg-d"].source
    assert d is not None and (d.revision, d.commit) == ("v1.2", None)
    assert bound.follow == "allow"


def test_continuation_and_comments() -> None:
    text = "a==1 \\\n  --hash=sha256:x \\\n  --hash=sha256:y\n# c\n\nb==2  # trailing\nc @ https://h/x#frag\n"
    assert list(_logical_lines(text)) == [
        (1, "a==1 --hash=sha256:x --hash=sha256:y"),
        (6, "b==2"),
        (7, "c @ https://h/x#frag"),
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param(
            "invalid-line.txt",
            ":2: invalid requirement 'requests = = 2': Expected semicolon "
            "(after name with no version specifier) or end",
            id="invalid-pep508",
        ),
        pytest.param("unknown-option.txt", ":2: unknown option '-Z'", id="unknown-option"),
    ],
)
def test_bad_lines(name: str, message: str) -> None:
    path = data_file("requirements", name)
    with pytest.raises(BoundError) as exc:
        read(path)
    assert str(exc.value) == f"{path}{message}"


def test_include_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("-r b.txt\n")
    (tmp_path / "b.txt").write_text("-r a.txt\n")
    with pytest.raises(BoundError, match="includes itself"):
        read(tmp_path / "a.txt")


def test_env_vars_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PKG_VERSION", "1.2.3")
    (tmp_path / "r.txt").write_text("pkg==${PKG_VERSION}\n")
    assert pins(read(tmp_path / "r.txt")) == {"pkg": "==1.2.3"}


def test_auto_detection_prefers_native_locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    monkeypatch.chdir(tmp_path)
    assert load_bound(None, linux_311()).path == "requirements.txt"
    assert load_bound(str(tmp_path), linux_311()).format == "requirements"
