from __future__ import annotations

import pytest

from tests.helpers import ReadError, data_file, linux_311, read_named
from tether.errors import BoundError, DocumentError
from tether.sources import Selection
from tether.sources.pyproject import PyprojectReader


def read(name: str, selection: Selection | None = None):
    return read_named(PyprojectReader(), data_file("pyproject", name), selection, display=name)


def names(bound) -> list[str]:
    return sorted(e.name for e in bound.expectations)


def test_dependencies_for_the_target() -> None:
    bound = read("pyproject.groups.toml")
    assert names(bound) == ["requests"]  # tomli is <3.11 only, pywin32 Windows only
    assert bound.follows
    assert bound.allowed == frozenset({"demo"})


def test_extras_including_self_references() -> None:
    assert names(read("pyproject.groups.toml", Selection(extras=("all",)))) == ["click", "requests", "rich"]
    assert names(read("pyproject.groups.toml", Selection(all_extras=True))) == ["click", "requests", "rich"]


def test_groups_with_include_group() -> None:
    assert names(read("pyproject.groups.toml", Selection(groups=("dev",)))) == ["pytest", "requests", "ruff"]
    assert names(read("pyproject.groups.toml", Selection(only_groups=("test",)))) == ["pytest"]


@pytest.mark.parametrize(
    ("name", "selection", "message"),
    [
        (
            "pyproject.groups.toml",
            Selection(extras=("nope",)),
            "pyproject.groups.toml: in 'project.optional-dependencies': no extra 'nope' (it has: all, cli)",
        ),
        (
            "pyproject.groups.toml",
            Selection(groups=("nope",)),
            "pyproject.groups.toml: in 'dependency-groups': no dependency group 'nope' (it has: dev, test)",
        ),
        (
            "pyproject.dynamic.toml",
            Selection(),
            "pyproject.dynamic.toml: in 'project.dynamic': [project].dependencies is dynamic; "
            "validate against a lock file instead",
        ),
    ],
)
def test_errors(name: str, selection: Selection, message: str) -> None:
    with pytest.raises(BoundError) as exc:
        read(name, selection)
    assert str(exc.value) == message


def test_extra_that_is_not_a_list(tmp_path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\nversion = "1"\noptional-dependencies = {cli = "rich"}\n')
    with pytest.raises(DocumentError) as exc:
        PyprojectReader().read(path.read_text(), path=path, display="pyproject.toml", target=linux_311(),
                               selection=Selection(extras=("cli",)))  # fmt: skip
    assert str(exc.value) == "in 'project.optional-dependencies.cli': expected an array, got a string"


def test_cyclic_groups() -> None:
    with pytest.raises(BoundError) as exc:
        read("pyproject.cyclic-groups.toml", Selection(groups=("a",)))
    assert str(exc.value) == (
        "pyproject.cyclic-groups.toml: in 'dependency-groups': invalid dependency groups: "
        "Cyclic dependency group include while resolving a: a -> b, b -> a"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("pyproject.dependency-an-integer.toml",
                     "in 'project.dependencies[1]': expected a string, got an integer", id="dependency-an-integer"),
        pytest.param("pyproject.dynamic-a-string.toml", "in 'project.dynamic': expected an array, got a string",
                     id="dynamic-a-string"),
        pytest.param("pyproject.group-item-a-number.toml",
                     "in 'dependency-groups.dev[1]': expected a requirement string or an include table, got an "
                     "integer", id="group-item-a-number"),
        pytest.param("pyproject.include-with-more-keys.toml",
                     "in 'dependency-groups.dev[0]': expected only 'include-group' in an include", id="include-keys"),
        pytest.param("pyproject.project-an-array.toml", "in 'project': expected a table, got an array",
                     id="project-an-array"),
    ],
)  # fmt: skip
def test_wrong_shapes(read_error: ReadError, name: str, message: str) -> None:
    assert read_error({"pyproject.toml": ("pyproject", name)}, Selection(groups=("dev",))) == (
        f"pyproject.toml: {message}"
    )


def test_include_chains_too_deep_give_one_line(tmp_path) -> None:
    chain = "".join(f'g{i} = [{{include-group = "g{i + 1}"}}]\n' for i in range(3000))
    path = tmp_path / "pyproject.toml"
    path.write_text(f'[project]\nname = "x"\nversion = "1"\n\n[dependency-groups]\n{chain}g3000 = ["six"]\n')
    with pytest.raises(BoundError) as exc:
        read_named(PyprojectReader(), path, Selection(groups=("g0",)), display="pyproject.toml")
    assert str(exc.value) == (
        "pyproject.toml: in 'dependency-groups': invalid dependency groups: include-group chains nested too deeply"
    )
