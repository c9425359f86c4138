"""Every real lock and requirements file in ../shared/data/locks parses, and the number of
packages selected for Linux x86_64 / CPython 3.11 with the tool's defaults is pinned."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED_LOCKS, linux_311
from tether.errors import BoundError
from tether.sources import Selection, reader_for
from tether.sources._common import read_text

CASES = [
    ("pip-compile/freedomofpress__securedrop/admin/requirements.txt", 16),
    ("pip-compile/mozilla__treeherder/requirements/common.txt", 154),
    ("pip-compile/sigstore__sigstore-python/install/requirements.txt", 32),
    ("uv-pip-compile/microsoft__vscode-black-formatter/requirements.txt", 15),
    ("uv-pip-compile/mozilla__pontoon/requirements/prod.txt", 116),
    ("uv-pip-compile/nedbat__coveragepy/requirements/dev.pip", 76),
    ("uv-pip-compile/nedbat__coveragepy/requirements/pins.pip", 0),
    ("pylock/Evernight__lazy-beancount/pylock.toml", 113),
    ("pylock/Evernight__lazy-beancount/requirements.txt", 25),
    ("pylock/Evernight__lazy-beancount/requirements-extra.txt", 1),
    ("pylock/Five-Colleges-Incorporated__ldlite/pylock.minimal.toml", 17),
    ("pylock/Five-Colleges-Incorporated__ldlite/pylock.toml", 16),
    # pipenv's pylock puts every default package in the unmarked "default" group.
    ("pylock/pypa__pipenv/pylock.toml", 1),
]


def select(relpath: str, selection: Selection | None = None) -> int:
    path = SHARED_LOCKS / relpath
    if not path.exists():
        pytest.skip(f"{path} is not present")
    bound = reader_for(path).read(
        read_text(path), path=path, display=relpath, target=linux_311(), selection=selection or Selection()
    )
    return len(bound.expectations)


@pytest.mark.parametrize(("relpath", "count"), CASES, ids=[c[0] for c in CASES])
def test_selected_count(relpath: str, count: int) -> None:
    assert select(relpath) == count


def test_pipenv_pylock_dev_group() -> None:
    assert select("pylock/pypa__pipenv/pylock.toml", Selection(groups=("dev",))) > 50


def test_pylock_for_other_environments_is_refused() -> None:
    with pytest.raises(BoundError) as exc:
        select("pylock/Five-Colleges-Incorporated__ldlite/pylock.maximal.toml")
    assert str(exc.value).endswith(
        "Provided environment does not satisfy any of the environments specified in the lock file"
    )
