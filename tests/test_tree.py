"""`core.tree`: node ids grouped as the page shows them (file > class > function > case)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_web.core import tree

# `tree.test_label` is reached through the module: imported by name, pytest would collect it.


def shape(node: tree.Group | str) -> Any:
    """A group as (kind, label, key, [children]); a leaf as its node id."""
    if isinstance(node, str):
        return node
    return (node.kind, node.label, node.key, [shape(child) for child in node.children])


@pytest.mark.parametrize(
    ("nodeid", "expected"),
    [
        ("tests/test_a.py::test_x", ("tests/test_a.py", [], "test_x", "")),
        ("tests/test_a.py::TestC::test_x", ("tests/test_a.py", ["TestC"], "test_x", "")),
        ("t.py::A::B::test_x", ("t.py", ["A", "B"], "test_x", "")),
        ("t.py::test_x[1-2]", ("t.py", [], "test_x", "[1-2]")),
        ("t.py::C::test_x[a]", ("t.py", ["C"], "test_x", "[a]")),
        ("t.py::test_x[a::b]", ("t.py", [], "test_x", "[a::b]")),
        ("t.py::test_x[http://h/p]", ("t.py", [], "test_x", "[http://h/p]")),
        ("t.py::test_x[a[0]]", ("t.py", [], "test_x", "[a[0]]")),
        ("t.py::test_x[]", ("t.py", [], "test_x", "[]")),
        ("t.py", ("t.py", [], "", "")),
        ("pkg/broken.py", ("pkg/broken.py", [], "", "")),
    ],
)
def test_split_nodeid(nodeid: str, expected: tuple[str, list[str], str, str]) -> None:
    assert tree.split_nodeid(nodeid) == expected


@pytest.mark.parametrize(
    ("nodeid", "expected"),
    [
        ("t.py::test_x", "test_x"),
        ("t.py::C::test_x", "test_x"),
        ("t.py::C::test_x[1-a]", "test_x[1-a]"),
        ("t.py::test_x[a::b/c]", "test_x[a::b/c]"),
        ("t.py", "t.py"),
    ],
)
def test_test_label(nodeid: str, expected: str) -> None:
    assert tree.test_label(nodeid) == expected


def test_build_tree_groups_file_class_and_parametrized_function() -> None:
    ids = [
        "a.py::test_one",
        "a.py::TestC::test_m",
        "a.py::TestC::test_p[1]",
        "a.py::TestC::test_p[2]",
        "a.py::test_p[x]",
        "b/c.py::test_z",
    ]
    result = tree.build_tree(ids)
    assert [shape(root) for root in result.roots] == [
        (
            "file",
            "a.py",
            "a.py",
            [
                "a.py::test_one",
                (
                    "class",
                    "TestC",
                    "a.py::TestC",
                    [
                        "a.py::TestC::test_m",
                        (
                            "function",
                            "test_p",
                            "a.py::TestC::test_p",
                            ["a.py::TestC::test_p[1]", "a.py::TestC::test_p[2]"],
                        ),
                    ],
                ),
                ("function", "test_p", "a.py::test_p", ["a.py::test_p[x]"]),
            ],
        ),
        ("file", "b/c.py", "b/c.py", ["b/c.py::test_z"]),
    ]
    file_a = result.roots[0]
    assert file_a.nodeids == ids[:5]
    assert file_a.children[1].nodeids == ids[1:4]


def test_group_ids_are_unique() -> None:
    ids = ["a.py::C::test_p[1]", "a.py::test_p[1]", "b.py::C::test_p[1]", "b.py::t"]
    result = tree.build_tree(ids)
    groups: list[tree.Group] = []
    pending = list(result.roots)
    while pending:
        group = pending.pop()
        groups.append(group)
        pending.extend(c for c in group.children if isinstance(c, tree.Group))
    assert len({g.id for g in groups}) == len(groups) == 7
    assert sorted(g.key for g in groups) == [
        "a.py",
        "a.py::C",
        "a.py::C::test_p",
        "a.py::test_p",
        "b.py",
        "b.py::C",
        "b.py::C::test_p",
    ]


def test_parents_lists_the_chain_of_groups_outermost_first() -> None:
    ids = ["a.py::TestC::test_p[1]", "a.py::TestC::test_m", "a.py::test_f"]
    result = tree.build_tree(ids)
    assert {n: [g.key for g in chain] for n, chain in result.parents.items()} == {
        "a.py::TestC::test_p[1]": ["a.py", "a.py::TestC", "a.py::TestC::test_p"],
        "a.py::TestC::test_m": ["a.py", "a.py::TestC"],
        "a.py::test_f": ["a.py"],
    }
    file_group = result.roots[0]
    assert all(chain[0] is file_group for chain in result.parents.values())
    for nodeid, chain in result.parents.items():
        assert all(nodeid in g.nodeids for g in chain)
        assert nodeid in chain[-1].children


def test_order_of_first_appearance_is_kept() -> None:
    ids = [
        "z.py::test_1",
        "a.py::test_1",
        "z.py::TestB::test_1",
        "z.py::TestA::test_1",
        "z.py::test_2",
        "a.py::test_0",
    ]
    result = tree.build_tree(ids)
    assert [g.label for g in result.roots] == ["z.py", "a.py"]
    z = result.roots[0]
    assert [shape(c) if isinstance(c, str) else c.label for c in z.children] == [
        "z.py::test_1",
        "TestB",
        "TestA",
        "z.py::test_2",
    ]
    assert result.roots[1].children == ["a.py::test_1", "a.py::test_0"]
    assert list(result.parents) == ids


def test_interleaved_cases_join_their_function_group() -> None:
    ids = ["a.py::test_p[1]", "a.py::test_q", "a.py::test_p[2]"]
    result = tree.build_tree(ids)
    [file_a] = result.roots
    assert [shape(c) for c in file_a.children] == [
        ("function", "test_p", "a.py::test_p", ["a.py::test_p[1]", "a.py::test_p[2]"]),
        "a.py::test_q",
    ]


def test_parameters_with_double_colon_or_slash_stay_in_their_function() -> None:
    ids = [
        "t.py::test_url[http://x/y::z]",
        "t.py::test_url[a/b.py::C]",
        "t.py::TestK::test_k[x::y::z]",
    ]
    result = tree.build_tree(ids)
    assert [shape(root) for root in result.roots] == [
        (
            "file",
            "t.py",
            "t.py",
            [
                (
                    "function",
                    "test_url",
                    "t.py::test_url",
                    ["t.py::test_url[http://x/y::z]", "t.py::test_url[a/b.py::C]"],
                ),
                (
                    "class",
                    "TestK",
                    "t.py::TestK",
                    [
                        (
                            "function",
                            "test_k",
                            "t.py::TestK::test_k",
                            ["t.py::TestK::test_k[x::y::z]"],
                        )
                    ],
                ),
            ],
        )
    ]


def test_same_function_name_in_different_classes_or_files_are_separate_groups() -> None:
    ids = ["a.py::A::test_p[1]", "a.py::B::test_p[1]", "b.py::A::test_p[1]"]
    result = tree.build_tree(ids)
    keys = [[g.key for g in result.parents[n]] for n in ids]
    assert keys == [
        ["a.py", "a.py::A", "a.py::A::test_p"],
        ["a.py", "a.py::B", "a.py::B::test_p"],
        ["b.py", "b.py::A", "b.py::A::test_p"],
    ]
    assert len({id(chain[-1]) for chain in result.parents.values()}) == 3


def test_file_level_node_id_is_a_leaf_of_its_file_group() -> None:
    result = tree.build_tree(["broken.py", "ok.py::test_a"])
    assert [shape(r) for r in result.roots] == [
        ("file", "broken.py", "broken.py", ["broken.py"]),
        ("file", "ok.py", "ok.py", ["ok.py::test_a"]),
    ]


def test_accepts_any_iterable_and_empty_input() -> None:
    empty = tree.build_tree([])
    assert (empty.roots, empty.parents) == ([], {})
    result = tree.build_tree(n for n in ["a.py::t1", "a.py::t2"])
    assert result.roots[0].nodeids == ["a.py::t1", "a.py::t2"]
    as_dict_keys = tree.build_tree({"a.py::t1": 1, "b.py::t2": 2})
    assert [g.key for g in as_dict_keys.roots] == ["a.py", "b.py"]


def test_a_tree_of_many_files_shows_their_folders_first_in_order() -> None:
    ids = [f"tests/{d}/test_{n}.py::test_x" for n in range(60) for d in ("b", "a")]
    ids.append("test_top.py::test_x")
    result = tree.build_tree(ids)
    assert [(g.label, g.kind, g.key, len(g.children)) for g in result.top] == [
        ("tests/b/", "folder", "tests/b", 60),
        ("tests/a/", "folder", "tests/a", 60),
        ("./", "folder", ".", 1),
    ]
    assert result.top[0].children[0] is result.roots[0]
    assert result.top[1].nodeids == [n for n in ids if n.startswith("tests/a/")]
    assert result.top is result.top  # built once


def test_folders_only_when_they_shorten_a_long_list_of_files() -> None:
    few = tree.build_tree([f"d{n}/t.py::test_x" for n in range(tree.FOLDER_ROOTS)])
    one_folder = tree.build_tree([f"t/t{n}.py::test_x" for n in range(tree.FOLDER_ROOTS + 1)])
    each_own = tree.build_tree([f"d{n}/t.py::test_x" for n in range(tree.FOLDER_ROOTS + 1)])
    for result in (few, one_folder, each_own):
        assert result.top is result.roots
