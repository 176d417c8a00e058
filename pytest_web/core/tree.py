"""Group node ids into the tree the page shows: file > class > function > parametrized case."""

from __future__ import annotations

import sys
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


FOLDER_ROOTS = 100
"""A lazy tree with more files than this shows their folders first (see `Tree.top`)."""


@dataclass
class Tree:
    """The groups in order, and for each node id the ids of the groups that hold it."""

    roots: list[Group]
    parents: dict[str, list[Group]]
    _top: list[Group] | None = field(default=None, repr=False)

    @property
    def top(self) -> list[Group]:
        """What a big finished run's lazy tree shows first: the files, or, when there are more
        than `FOLDER_ROOTS` of them in several folders, the folders (their files inside)."""
        if self._top is None:
            self._top = folders(self.roots) if len(self.roots) > FOLDER_ROOTS else self.roots
        return self._top


def folders(roots: list[Group]) -> list[Group]:
    """File groups under one group per folder, in order of first appearance; `roots` unchanged
    when that would not make the list shorter (one folder, or a folder per file)."""
    found: dict[str, Group] = {}
    for root in roots:
        folder = root.key.rpartition("/")[0] if root.kind == "file" else ""
        group = found.get(folder)
        if group is None:
            label = (folder or ".") + "/"
            group = found[folder] = Group(f"d{len(found)}", label, "folder", folder or ".")
        group.children.append(root)
        group.nodeids.extend(root.nodeids)
    return list(found.values()) if 1 < len(found) < len(roots) else roots


def file_of(nodeid: str) -> str:
    """The file part of a node id (`path/test_a.py` of `path/test_a.py::Class::test[x]`),
    interned: a file's 1,000 tests share one string."""
    return sys.intern(nodeid.split("::", 1)[0])


def in_file(nodeid: str) -> str:
    """A node id without its file (`Class::test[x]`), or the whole id when it is a file."""
    return nodeid.split("::", 1)[1] if "::" in nodeid else nodeid


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
    """Group node ids, keeping the order in which each group first appears.

    Node ids come in runs that share their groups (a file's tests, a function's cases): the chain
    of groups is looked up once per node id prefix, not built again for every test.
    """
    roots: list[Group] = []
    index: dict[tuple[str, ...], Group] = {}
    parents: dict[str, list[Group]] = {}
    chains: dict[str, list[Group]] = {}

    def group(
        key: tuple[str, ...], label: str, kind: str, siblings: list[Group] | list[Group | str]
    ) -> Group:
        found = index.get(key)
        if found is None:
            nodeid_prefix = "::".join(key).removesuffix("[")
            found = index[key] = Group(f"g{len(index)}", label, kind, nodeid_prefix)
            siblings.append(found)
        return found

    def chain_of(nodeid: str) -> list[Group]:
        path, classes, function, param = split_nodeid(nodeid)
        chain = [group((path,), path, "file", roots)]
        key: tuple[str, ...] = (path,)
        for name in classes:
            key += (name,)
            chain.append(group(key, name, "class", chain[-1].children))
        if param:
            key += (function + "[",)
            chain.append(group(key, function, "function", chain[-1].children))
        return chain

    for nodeid in nodeids:
        head, bracket, _ = nodeid.partition("[")
        cut = head.rfind("::")
        if cut < 0:  # a file (or a collection error's path): its own group
            chain = chain_of(nodeid)
        else:  # the groups above a test: its file and classes, and its function if parametrized
            prefix = head + "[" if bracket else head[:cut]
            chain = chains.get(prefix) or chains.setdefault(prefix, chain_of(nodeid))
        chain[-1].children.append(nodeid)
        for g in chain:
            g.nodeids.append(nodeid)
        parents[nodeid] = chain
    return Tree(roots, parents)
