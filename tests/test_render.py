"""`Renderer`: a run's whole view as SSE messages (snapshot parts) and what changed after a
sequence number (delta parts), split so that no message freezes the page."""

from __future__ import annotations

import re

from events import (
    DEMO_IDS,
    FAILING,
    ended,
    finished_run,
    row_names,
    row_outcomes,
    run_tests,
    start_run,
)

from pytest_web.core.hub import Hub, Run
from pytest_web.pytest_run.discovery import Collection
from pytest_web.web.actions import collection_run
from pytest_web.web.render import DELTA_ROWS, SNAPSHOT_ROWS, YIELD, Renderer

MAIN = '<div id="main" hx-swap-oob="innerHTML">'
APPEND = '<div hx-swap-oob="beforeend target:#tree swap:1ms">'
HEAD = '<div id="run-head" hx-swap-oob="outerMorph"'


def many(files: int, per_file: int) -> list[str]:
    return [f"tests/test_f{f:02}.py::test_{n}" for f in range(files) for n in range(per_file)]


def count(html: str, name: str) -> int:
    """The head's count for `name` (`data-count="failed"><b>1</b>`)."""
    found = re.search(rf'data-count="{name}"><b>(\d+)</b>', html)
    assert found, f"no {name} count in the head"
    return int(found.group(1))


def test_a_finished_run_is_one_message_that_replaces_main(renderer: Renderer, hub: Hub) -> None:
    run = finished_run(hub)
    parts = renderer.snapshot_parts(run)
    assert len(parts) == 1
    assert MAIN + '<section id="run-view" data-run="' + run.id in parts[0]
    assert parts[0].startswith("<head><title>✕ 1 failed · pytest-web</title></head>")
    assert row_outcomes(parts[0]) == {
        0: "passed",
        1: "failed",
        2: "passed",
        3: "passed",
        4: "passed",
    }
    assert count(parts[0], "failed") == 1 and count(parts[0], "passed") == 4


def test_a_running_run_up_to_the_limit_is_one_message(renderer: Renderer, hub: Hub) -> None:
    run = start_run(hub, many(5, SNAPSHOT_ROWS // 5))
    parts = renderer.snapshot_parts(run)
    assert len(parts) == 1 and len(row_outcomes(parts[0])) == SNAPSHOT_ROWS


def test_a_big_running_run_goes_out_in_parts_of_whole_files(renderer: Renderer, hub: Hub) -> None:
    run = start_run(hub, many(12, 100))
    run_tests(hub, run, {"tests/test_f11.py::test_99": "failed"})
    parts = renderer.snapshot_parts(run)
    assert len(parts) == 3
    assert MAIN in parts[0] and all(p.startswith(APPEND) for p in parts[1:])
    assert MAIN not in "".join(parts[1:])
    rows = [row_outcomes(part) for part in parts]
    assert [sorted(r) for r in rows] == [
        list(range(0, 500)),
        list(range(500, 1000)),
        list(range(1000, 1200)),
    ]
    assert rows[2][1199] == "failed" and rows[0][0] == "queued"
    assert 'id="tree"' in parts[0]  # the later parts append to it


def test_a_big_finished_run_is_one_message(renderer: Renderer, hub: Hub) -> None:
    nodeids = many(6, 100)
    run = finished_run(hub, dict.fromkeys(nodeids, "passed"))
    parts = renderer.snapshot_parts(run)
    assert len(parts) == 1 and len(row_outcomes(parts[0])) == 600


def test_a_delta_has_the_touched_rows_their_groups_and_the_head(
    renderer: Renderer, hub: Hub
) -> None:
    run = start_run(hub)
    seq = run.state.seq
    run_tests(hub, run, {FAILING: "failed"})
    parts = renderer.delta_parts(run, seq)
    assert len(parts) == 1
    delta = parts[0]
    assert MAIN not in delta and HEAD in delta
    assert re.search(r'<span id="s1" hx-swap-oob="outerMorph" class="st o-failed', delta)
    assert row_outcomes(delta) == {1: "failed"}  # the one row touched, no other
    tree = renderer.tree(run.state)
    touched = {g.id for g in tree.parents[FAILING]}
    others = {g.id for n in DEMO_IDS for g in tree.parents[n]} - touched
    summaries = set(re.findall(r'<summary id="(g\d+)" hx-swap-oob="outerMorph"', delta))
    assert summaries == touched and not summaries & others
    assert '<span class="done">1/5</span>' in delta and count(delta, "failed") == 1


def test_a_delta_carries_new_output_escaped(renderer: Renderer, hub: Hub) -> None:
    run = start_run(hub)
    seq = run.state.seq
    hub.publish(run, [{"type": "output", "text": "<b>collected 5 items</b>\n"}])
    delta = renderer.delta_parts(run, seq)[0]
    assert (
        '<pre hx-swap-oob="beforeend:#output">&lt;b&gt;collected 5 items&lt;/b&gt;\n</pre>' in delta
    )
    assert row_outcomes(delta) == {}


def test_a_delta_across_a_change_of_tests_is_a_snapshot(renderer: Renderer, hub: Hub) -> None:
    run = hub.create_run({"nodeids": []}, ["python", "-m", "pytest"])
    before_collection = run.state.seq
    hub.publish(run, [{"type": "collection", "nodeids": DEMO_IDS}])
    parts = renderer.delta_parts(run, before_collection)
    assert len(parts) == 1 and MAIN in parts[0]
    assert len(row_outcomes(parts[0])) == 5
    assert MAIN in renderer.delta_parts(run, 0)[0]  # from before the run began


def test_a_delta_of_many_rows_is_split(renderer: Renderer, hub: Hub) -> None:
    nodeids = many(3, 150)
    run = start_run(hub, nodeids)
    seq = run.state.seq
    hub.publish(run, [ended(n, "passed") for n in nodeids])
    parts = renderer.delta_parts(run, seq)
    full, rest = divmod(450, DELTA_ROWS)
    assert len(parts) == full + (rest > 0)
    assert HEAD in parts[0] and all(p.startswith(YIELD) and HEAD not in p for p in parts[1:])
    rows = [row_outcomes(part) for part in parts]
    assert [len(r) for r in rows] == [DELTA_ROWS] * full + ([rest] if rest else [])
    assert sorted(i for r in rows for i in r) == list(range(450))  # each row once, in order
    assert {o for r in rows for o in r.values()} == {"passed"}


def test_the_whole_run_and_a_delta_agree_on_a_rows_outcome(renderer: Renderer, hub: Hub) -> None:
    run: Run = start_run(hub)
    seq = run.state.seq
    run_tests(hub, run, {DEMO_IDS[3]: "skipped"})
    delta = row_outcomes(renderer.delta_parts(run, seq)[0])
    whole = row_outcomes(renderer.snapshot_parts(run)[0])
    assert delta == {3: "skipped"} and whole[3] == "skipped"


def test_each_collection_gets_its_own_tree(renderer: Renderer) -> None:
    """Every discovery is a run with the id "collected" whose structure counter starts again:
    a tree kept by id and counter was the last collection's."""
    first = collection_run(Collection([{"nodeid": n} for n in DEMO_IDS[2:4]]))
    second = collection_run(Collection([{"nodeid": n} for n in DEMO_IDS]))
    assert (first.id, first.state.structure) == (second.id, second.state.structure)
    assert renderer.tree(first.state).roots[0].nodeids == DEMO_IDS[2:4]
    assert [n for g in renderer.tree(second.state).roots for n in g.nodeids] == DEMO_IDS
    assert row_names(renderer.run_view(second)) == DEMO_IDS


def test_a_snapshot_morphs_the_watch_form_with_its_scopes(renderer: Renderer, hub: Hub) -> None:
    """The stream renders outside a request (no context processor): a watch form without its
    options, morphed in, left the page's scope box empty after every run."""
    snapshot = renderer.snapshot_parts(finished_run(hub))[0]
    form = re.search(r'<form id="watch-form" hx-swap-oob="outerMorph".*?</form>', snapshot, re.S)
    assert form, "the snapshot carries no watch form"
    options = re.findall(r'<option value="(\w+)"( selected)?>', form.group(0))
    assert options == [("affected", " selected"), ("failed", ""), ("all", "")]
