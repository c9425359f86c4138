from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.helpers import data_file, linux_311, read_named
from tether.errors import BoundError
from tether.models import Bound
from tether.sources import MAX_BYTES, load_bound
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
    assert bound.follows
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
    assert bound.follows  # flask is a range


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
    assert bound.follows


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


def load(path: Path) -> Bound:
    return load_bound(str(path), linux_311())


def test_a_file_included_everywhere_is_read_once(tmp_path: Path) -> None:
    """20 files each including the next twice: 2**20 walks were it re-read at each mention."""
    for i in range(20):
        (tmp_path / f"r{i}.txt").write_text(f"pkg{i}==1.0\n-r r{i + 1}.txt\n-r r{i + 1}.txt\n")
    (tmp_path / "r20.txt").write_text("last==1.0\n")
    start = time.monotonic()
    bound = load(tmp_path / "r0.txt")
    assert time.monotonic() - start < 2
    assert [e.name for e in bound.expectations] == [*(f"pkg{i}" for i in range(20)), "last"]
    assert len(bound.files) == 21


def test_a_file_both_required_and_constrained(tmp_path: Path) -> None:
    """Read once, applied both ways, as pip applies it."""
    (tmp_path / "r.txt").write_text("-c c.txt\nsix>=1\n-r c.txt\n")
    (tmp_path / "c.txt").write_text("six<2\nidna==3.7\n")
    bound = load(tmp_path / "r.txt")
    assert [(e.name, str(e.specifier), e.origin) for e in bound.expectations] == [
        ("six", "<2,>=1", f"{tmp_path / 'r.txt'}:2"),
        ("six", "<2", f"{tmp_path / 'c.txt'}:1"),
        ("idna", "==3.7", f"{tmp_path / 'c.txt'}:2"),
    ]


@pytest.mark.parametrize("option", ["-r", "-c"])
def test_a_chain_of_2000_includes(tmp_path: Path, option: str) -> None:
    """Walked without recursion: no RecursionError, and each file named for its faults."""
    for i in range(2000):
        (tmp_path / f"r{i}.txt").write_text(f"pkg{i}<9\n{option} r{i + 1}.txt\n")
    (tmp_path / "r2000.txt").write_text("last==1.0\n")
    bound = load(tmp_path / "r0.txt")
    names = {e.name for e in bound.expectations}
    assert names == ({"pkg0"} if option == "-c" else {*(f"pkg{i}" for i in range(2000)), "last"})
    assert len(bound.files) == 2001
    (tmp_path / "r2000.txt").write_text("last = = 1\n")
    with pytest.raises(BoundError) as exc:
        load(tmp_path / "r0.txt")
    assert str(exc.value).startswith(f"{tmp_path / 'r2000.txt'}:1: invalid requirement 'last = = 1'")


def test_a_cycle_through_a_link_is_found(tmp_path: Path) -> None:
    (tmp_path / "sub").symlink_to(tmp_path)
    (tmp_path / "a.txt").write_text("-r sub/a.txt\n")
    with pytest.raises(BoundError) as exc:
        load(tmp_path / "a.txt")
    assert str(exc.value) == f"{tmp_path / 'sub' / 'a.txt'}: includes itself (a cycle of -r/-c files)"


@pytest.mark.parametrize(
    ("include", "message"),
    [
        pytest.param("sub", "is a directory; expected a lock or requirements file", id="a directory"),
        pytest.param("/dev/zero", "is a character device; expected a regular file", id="/dev/zero"),
        pytest.param(
            "fifo",
            "is a named pipe (FIFO); expected a regular file (a pipe can be the bound itself, "
            "read once: --lock /dev/stdin)",
            id="a FIFO",
        ),
        pytest.param(
            "/dev/stdin",
            "is standard input, a pipe or a /proc file; only the bound itself can be one (--lock)",
            id="standard input",
        ),
        pytest.param("loop", "cannot read it (Too many levels of symbolic links)", id="a symlink loop"),
        pytest.param(
            "big.txt",
            f"is larger than 64 MiB ({MAX_BYTES + 1} bytes), the most tether reads of a bound file",
            id="too large",
        ),
        pytest.param("none/x.txt", "no such file", id="missing"),
    ],
)
def test_includes_refused_by_type(tmp_path: Path, include: str, message: str) -> None:
    (tmp_path / "sub").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with (tmp_path / "big.txt").open("wb") as f:
        f.truncate(MAX_BYTES + 1)
    (tmp_path / "r.txt").write_text(f"six==1.16.0\n-r {include}\n")
    start = time.monotonic()
    with pytest.raises(BoundError) as exc:
        load(tmp_path / "r.txt")
    assert time.monotonic() - start < 2
    assert str(exc.value) == f"{os.path.join(tmp_path, include)}: {message}"


def test_a_symlink_loop_as_a_local_source(tmp_path: Path) -> None:
    wheel = "pkg-1.0-py3-none-any.whl"
    (tmp_path / wheel).symlink_to(tmp_path / wheel)
    (tmp_path / "r.txt").write_text(f"-e ./{wheel}\n./{wheel}\n")
    bound = load(tmp_path / "r.txt")
    assert [e.source.kind for e in bound.expectations if e.source] == ["url", "url"]


def test_a_long_run_of_spaces_is_linear(tmp_path: Path) -> None:
    """pip's comment expression is quadratic on whitespace: 4 MiB of it took hours."""
    (tmp_path / "r.txt").write_text("six==1.16.0" + " " * (4 << 20) + "x # y\n")
    start = time.monotonic()
    with pytest.raises(BoundError):
        load(tmp_path / "r.txt")
    assert time.monotonic() - start < 5


def test_comments_as_pip_strips_them() -> None:
    assert [line for _, line in _logical_lines("a#b\n#c\nd #e\nf\t#g #h\n  # i\nj# #k\n")] == [
        "a#b", "d", "f", "j#"]  # fmt: skip


def test_the_variables_read_are_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TETHER_T_VERSION", "1.2.3")
    monkeypatch.delenv("TETHER_T_MISSING", raising=False)
    (tmp_path / "r.txt").write_text("pkg==${TETHER_T_VERSION}\n-r ${TETHER_T_MISSING}.txt\n")
    (tmp_path / "${TETHER_T_MISSING}.txt").write_text("other==${TETHER_T_VERSION}\n")
    bound = load(tmp_path / "r.txt")
    assert pins(bound) == {"pkg": "==1.2.3", "other": "==1.2.3"}
    assert bound.environ == (("TETHER_T_VERSION", "1.2.3"), ("TETHER_T_MISSING", None))


def test_a_local_project_s_metadata_is_recorded(tmp_path: Path) -> None:
    """Named by its pyproject.toml, else its setup.cfg: both are what the answer depends on."""
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "setup.cfg").write_text("[metadata]\nname = Proj\n")
    (tmp_path / "r.txt").write_text("-e ./proj\n")
    bound = load(tmp_path / "r.txt")
    assert [e.name for e in bound.expectations] == ["proj"]
    assert bound.files == tuple(str(p) for p in (tmp_path / "r.txt", tmp_path / "proj" / "setup.cfg",
                                                 tmp_path / "proj" / "pyproject.toml"))  # fmt: skip
    (tmp_path / "proj" / "setup.cfg").write_bytes(b"[metadata]\nname = caf\xe9\n")
    with pytest.raises(BoundError) as exc:
        load(tmp_path / "r.txt")
    assert (
        str(exc.value) == f"{tmp_path / 'proj' / 'setup.cfg'}: is not UTF-8 text (invalid byte at offset 21)"
    )


def test_a_pipe_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--lock /dev/stdin or <(cmd): read once (the requirements reader used to read the
    file twice, the second time empty), its relative paths from the working directory."""
    (tmp_path / "more.txt").write_text("idna==3.7\n")
    monkeypatch.chdir(tmp_path)
    read_end, write_end = os.pipe()
    os.write(write_end, b"six==1.16.0\n-r more.txt\n")
    os.close(write_end)
    try:
        bound = load_bound(f"/dev/fd/{read_end}", linux_311())
    finally:
        os.close(read_end)
    assert pins(bound) == {"six": "==1.16.0", "idna": "==3.7"}
    assert bound.files == (str(tmp_path / "more.txt"),)
