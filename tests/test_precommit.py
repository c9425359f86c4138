"""The pre-commit hook (.pre-commit-hooks.yaml), run as users run it: `pre-commit try-repo`
builds the hook's environment from this repository and runs it in a project's git repository."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers import clean_env, missing, run, site_packages, tool

if TYPE_CHECKING:
    from tests.helpers import MakeDist, MakeDistVenv

pytestmark = pytest.mark.flows

ROOT = Path(__file__).resolve().parents[1]


def commit(repo: Path) -> None:
    """`git init` and commit everything in *repo*, whatever the user's git configuration."""
    git = tool("git")
    run(git, "init", "-q", repo)
    run(git, "-C", repo, "add", "-A")
    run(git, "-C", repo, "-c", "user.name=tether tests", "-c", "user.email=tests@example.invalid",
        "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", "snapshot")  # fmt: skip


def snapshot(dest: Path) -> Path:
    """The checkout under test as it is on disk, committed in a repository of its own.

    try-repo clones a local repository at a commit (adding modified tracked files, never new
    ones), so the working tree is copied, untracked files included, and committed there.
    """
    listed = run(
        tool("git"), "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard", check=False
    )
    if listed.returncode != 0:
        missing(f"{ROOT} is not a git checkout: {listed.stderr.strip()}")
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is still listed
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    commit(dest)
    return dest


def test_the_hook_passes_on_a_valid_project_and_fails_on_a_drifted_one(
    tmp_path: Path, dist_venv: MakeDistVenv, make_dist: MakeDist
) -> None:
    repo = snapshot(tmp_path / "tether")
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("six==1.16.0\n")
    (project / ".gitignore").write_text(".venv/\n")
    venv = dist_venv({"six": "1.16.0"}, name="project/.venv")
    commit(project)

    def try_repo() -> tuple[int, str]:
        proc = run(
            tool("pre-commit"), "try-repo", repo, "tether-validate", "--all-files",
            cwd=project, env=clean_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home")), check=False,
        )  # fmt: skip
        return proc.returncode, proc.stdout + proc.stderr

    code, out = try_repo()
    # Valid only if the project's .venv was checked, not the hook's own environment (where
    # tether, packaging and PyYAML would be unexpected).
    assert (code, "Passed") == (0, "Passed" if "Passed" in out else out)

    make_dist(site_packages(venv), "idna", "3.7")
    code, out = try_repo()
    assert code == 1, out
    assert "Failed" in out
    assert "idna" in out and "unexpected" in out, out
    assert "packaging" not in out, out
