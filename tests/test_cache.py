"""The validate result cache: used only while every stamp holds."""

from __future__ import annotations

import marshal
import os
from pathlib import Path

import pytest

from tests.helpers import MakeDist, MakeDistVenv
from tether.cli import main


@pytest.fixture
def venv(dist_venv: MakeDistVenv) -> Path:
    return dist_venv({"six": "1.16.0"})


def entries(cache: Path, kind: str = "validate") -> list[Path]:
    return sorted(cache.glob(f"{kind}-*.marshal"))


def doctored(venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Validate once, then replace the cached answer with a marker the next hit prints."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("TETHER_CACHE_DIR", str(cache))
    lock = tmp_path / "requirements.txt"
    lock.write_text("six==1.16.0\n")
    argv = ["validate", "-p", str(venv), "--lock", str(lock)]
    assert main(argv) == 0
    (entry,) = entries(cache)
    assert len(entries(cache, "interpreter")) == 1
    entry.write_bytes(
        marshal.dumps({**marshal.loads(entry.read_bytes()), "value": ("from the cache\n", "", 0)})
    )
    return argv


def test_hit_miss_and_bypass(
    venv: Path,
    tmp_path: Path,
    make_dist: MakeDist,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Prove the next identical run answers from the entry: its output was doctored.
    argv = doctored(venv, tmp_path, monkeypatch)
    lock = Path(argv[-1])
    capsys.readouterr()
    assert main(argv) == 0
    assert capsys.readouterr().out == "from the cache\n"
    assert main([*argv, "--no-cache"]) == 0
    assert capsys.readouterr().out.startswith("valid:")
    # Any install changes the site directory: the entry no longer holds.
    (site,) = venv.glob("lib/python3*/site-packages")
    make_dist(site, "idna", "3.6")
    assert main(argv) == 1
    assert "idna" in capsys.readouterr().out
    # So does an edit of the lock file.
    lock.write_text("six==1.16.0\nidna==3.6\n")
    assert main(argv) == 0


def test_an_environment_change_is_judged_from_the_compiled_expectation(
    venv: Path,
    tmp_path: Path,
    make_dist: MakeDist,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = doctored(venv, tmp_path, monkeypatch)
    lock = Path(argv[-1])
    cache = tmp_path / "cache"
    # Mark the remembered expectation, so that an answer built from it shows.
    (fast,) = entries(cache, "fast")
    entry = marshal.loads(fast.read_bytes())
    entry["value"]["bound"] = "remembered-bound"
    fast.write_bytes(marshal.dumps(entry))
    (site,) = venv.glob("lib/python3*/site-packages")
    make_dist(site, "idna", "3.6")
    capsys.readouterr()
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "idna" in out and "against remembered-bound" in out
    # A lock touched but not edited (a checkout back and forth) is the same lock.
    os.utime(lock, ns=(lock.stat().st_atime_ns, lock.stat().st_mtime_ns + 10**9))
    make_dist(site, "certifi", "2024.2.2")
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "certifi" in out and "against remembered-bound" in out
    # The lock changed: the remembered expectation no longer holds, the lock is read.
    lock.write_text("six==1.16.0\nidna==3.6\ncertifi==2024.2.2\n")
    assert main(argv) == 0
    assert "remembered-bound" not in capsys.readouterr().out
    # And an expectation with ranges is never remembered.
    lock.write_text("six>=1\nidna\ncertifi\n")
    for old in entries(cache, "fast"):
        old.unlink()
    assert main(argv) == 0
    assert entries(cache, "fast") == []


def test_unwritable_cache_is_not_an_error(
    venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("TETHER_CACHE_DIR", str(blocker / "sub"))
    lock = tmp_path / "requirements.txt"
    lock.write_text("six==1.16.0\n")
    assert main(["validate", "-p", str(venv), "--lock", str(lock)]) == 0
    assert not os.path.exists(blocker / "sub")


def test_interpreter_answer_is_asked_again_when_pyvenv_cfg_changes(
    venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tether.target import query_target

    monkeypatch.setenv("TETHER_CACHE_DIR", str(tmp_path / "cache"))
    first = query_target(str(venv))
    assert query_target(str(venv)) == first
    cfg = venv / "pyvenv.cfg"
    cfg.write_text(
        cfg.read_text().replace("include-system-site-packages = false", "include-system-site-packages = true")
    )
    assert len(query_target(str(venv)).sites) > len(first.sites)


def test_an_edited_tether_does_not_answer_from_the_cache(venv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import tether.validate

    argv = doctored(venv, tmp_path, monkeypatch)
    module = Path(tether.validate.__file__)
    before = module.stat()
    try:
        from tether._cache import _code_stamp

        os.utime(module, ns=(before.st_atime_ns, _code_stamp() + 10**9))
        capsys.readouterr()
        assert main(argv) == 0
        assert capsys.readouterr().out.startswith("valid:")
    finally:
        os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_command_line_seen_before_needs_no_argparse_after_a_bound_change(
    venv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tether.cli

    argv = doctored(venv, tmp_path, monkeypatch)
    lock = Path(argv[-1])
    lock.write_text("six==1.16.0\nidna==3.6\n")

    def no_parser() -> None:
        raise AssertionError("argparse was built")

    monkeypatch.setattr(tether.cli, "build_parser", no_parser)
    capsys.readouterr()
    assert main(argv) == 1
    assert "idna" in capsys.readouterr().out


def test_an_unrelated_file_beside_the_project_keeps_the_cached_answer(
    venv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discovery stamps the names it looked for, not the folders: an editor's swap file in
    the project (or anything new in a busy parent) must not cost a full run."""
    project = tmp_path / "project"
    project.mkdir()
    (project / ".git").mkdir()
    (project / "requirements.txt").write_text("six==1.16.0\n")
    monkeypatch.chdir(project)
    monkeypatch.setenv("TETHER_CACHE_DIR", str(tmp_path / "cache"))
    argv = ["validate", "-p", str(venv), "-v"]
    assert main(argv) == 0
    assert "read now" in capsys.readouterr().err
    (project / "notes.txt").write_text("unrelated\n")
    assert main(argv) == 0
    assert "answered from the cache" in capsys.readouterr().err
    # A configuration or a bound of higher rank appearing is a change.
    (project / "tether.toml").write_text('ignore = ["six"]\n')
    assert main(argv) == 0
    assert "read now" in capsys.readouterr().err
