"""Group node ids into the tree the page shows: file > class > function > parametrized case."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Group:
    """A file, class or parametrized function, with the node ids of every test below it."""

    id: str
    label: str
    kind: str
    key: str
    """The node id prefix that selects this group in pytest (`path::Class`)."""
    children: list[Group | str] = field(default_factory=list)
    nodeids: list[str] = field(default_factory=list)


@dataclass
class Tree:
    """The groups in order, and for each node id the ids of the groups that hold it."""

    roots: list[Group]
    parents: dict[str, list[Group]]


def split_nodeid(nodeid: str) -> tuple[str, list[str], str, str]:
    """`path::Class::test[param]` -> (path, [classes], function, param)."""
    head, bracket, rest = nodeid.partition("[")
    parts = head.split("::")
    param = bracket + rest
    if len(parts) == 1:
        return parts[0] + param, [], "", ""
    return parts[0], parts[1:-1], parts[-1], param


def test_label(nodeid: str) -> str:
    """What a row shows: the function name and its parameters."""
    _, _, function, param = split_nodeid(nodeid)
    return (function + param) or nodeid


def build_tree(nodeids: Iterable[str]) -> Tree:
    """Group node ids, keeping the order in which each group first appears."""
    roots: list[Group] = []
    index: dict[tuple[str, ...], Group] = {}
    parents: dict[str, list[Group]] = {}

    def group(key: tuple[str, ...], label: str, kind: str, siblings: list) -> Group:
        found = index.get(key)
        if found is None:
            nodeid_prefix = "::".join(key).removesuffix("[")
            found = index[key] = Group(f"g{len(index)}", label, kind, nodeid_prefix)
            siblings.append(found)
        return found

    for nodeid in nodeids:
        path, classes, function, param = split_nodeid(nodeid)
        chain = [group((path,), path, "file", roots)]
        key: tuple[str, ...] = (path,)
        for name in classes:
            key += (name,)
            chain.append(group(key, name, "class", chain[-1].children))
        if param:
            key += (function + "[",)
            chain.append(group(key, function, "function", chain[-1].children))
        chain[-1].children.append(nodeid)
        for g in chain:
            g.nodeids.append(nodeid)
        parents[nodeid] = chain
    return Tree(roots, parents)
