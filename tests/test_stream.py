"""`event_stream` driven by hand: retry, a snapshot with the cursor as its id, keep-alives while
nothing changes, a delta after new events, a snapshot for a cursor it cannot resume; and the
`/events` route that serves it."""

from __future__ import annotations

import pytest
from events import DEMO_IDS, FAILING, finished_run, row_outcomes, run_tests, start_run
from flask import Flask
from flask.testing import FlaskClient

from pytest_web.core.hub import Hub, Run
from pytest_web.core.sse import PING
from pytest_web.web.render import Renderer
from pytest_web.web.routes import stream
from pytest_web.web.routes.stream import event_stream
from pytest_web.web.services import services

MAIN = 'data: <div id="main" hx-swap-oob="innerHTML">'


@pytest.fixture(autouse=True)
def quick_keepalive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "KEEPALIVE", 0.05)


def event_id(run: Run) -> str:
    return f"id: {run.id}:{run.state.seq}\n"


def is_snapshot(message: str, run: Run) -> bool:
    """The whole view of `run`, as the last (or only) part: it carries the run's cursor."""
    return message.startswith(event_id(run)) and MAIN in message


FRESH_DETAIL = 'data: <aside id="detail" hx-swap-oob="true" class="detail idle"'


def test_a_new_stream_sets_retry_then_sends_a_snapshot_with_the_cursor(
    hub: Hub, renderer: Renderer
) -> None:
    run = finished_run(hub)
    messages = event_stream(hub, renderer, None)
    assert next(messages) == "retry: 1000\n\n"
    snapshot = next(messages)
    assert is_snapshot(snapshot, run)
    assert snapshot.endswith("\n\n") and "\n\n" not in snapshot[:-2]  # one message
    assert all(line.startswith(("id: ", "data: ")) for line in snapshot[:-2].split("\n"))
    assert row_outcomes(snapshot)[1] == "failed"
    messages.close()


def test_a_stream_at_the_current_seq_only_keeps_alive(hub: Hub, renderer: Renderer) -> None:
    run = finished_run(hub)
    messages = event_stream(hub, renderer, (run.id, run.state.seq))
    next(messages)  # retry
    assert next(messages) == PING
    assert next(messages) == PING
    messages.close()


def test_new_events_after_the_cursor_come_as_a_delta(hub: Hub, renderer: Renderer) -> None:
    run = start_run(hub)
    messages = event_stream(hub, renderer, (run.id, run.state.seq))
    next(messages)
    assert next(messages) == PING
    run_tests(hub, run, {FAILING: "failed"})
    delta = next(messages)
    assert delta.startswith(event_id(run))
    assert MAIN not in delta and 'data: <div id="run-head" hx-swap-oob="outerMorph"' in delta
    assert row_outcomes(delta) == {1: "failed"}
    # then, as named events, the status filters whose tests changed: trees under them refetch
    assert [next(messages), next(messages)] == [
        "event: changed-failed\n\n",
        "event: changed-running\n\n",
    ]
    run_tests(hub, run, {DEMO_IDS[0]: "passed"})
    assert row_outcomes(next(messages)) == {0: "passed"}  # the next batch only
    messages.close()


@pytest.mark.parametrize("cursor", [("other-run", 5), ("RUN", 10**9), ("RUN", 0)])
def test_a_cursor_it_cannot_resume_gets_a_snapshot(
    hub: Hub, renderer: Renderer, cursor: tuple[str, int]
) -> None:
    run = finished_run(hub)
    cursor = (run.id if cursor[0] == "RUN" else cursor[0], cursor[1])
    messages = event_stream(hub, renderer, cursor)
    next(messages)
    assert is_snapshot(next(messages), run)
    messages.close()


def test_a_new_run_replaces_the_view(hub: Hub, renderer: Renderer) -> None:
    old = finished_run(hub)
    messages = event_stream(hub, renderer, (old.id, old.state.seq))
    next(messages)
    new = start_run(hub)
    message = next(messages)
    assert is_snapshot(message, new)
    assert FRESH_DETAIL in message  # the old run's test (or changes) is not shown beside it
    messages.close()


def test_without_a_run_the_stream_waits_for_one(hub: Hub, renderer: Renderer) -> None:
    messages = event_stream(hub, renderer, None)
    next(messages)
    assert next(messages) == PING
    run = start_run(hub)
    assert is_snapshot(next(messages), run)
    messages.close()


def test_a_big_running_snapshot_gives_its_id_to_the_last_part_only(
    hub: Hub, renderer: Renderer
) -> None:
    run = start_run(hub, [f"t{f}.py::test_{n}" for f in range(6) for n in range(100)])
    messages = event_stream(hub, renderer, None)
    next(messages)
    first, last = next(messages), next(messages)
    assert MAIN in first and "\nid: " not in first
    assert last.startswith(event_id(run) + 'data: <div hx-swap-oob="beforeend target:#tree')
    messages.close()


def test_subscribers_are_counted_until_the_stream_closes(hub: Hub, renderer: Renderer) -> None:
    finished_run(hub)
    first = event_stream(hub, renderer, None)
    second = event_stream(hub, renderer, None)
    next(first), next(second)
    assert hub.subscribers == 2
    first.close()
    assert hub.subscribers == 1
    second.close()
    assert hub.subscribers == 0


def test_closing_the_hub_ends_every_stream(hub: Hub, renderer: Renderer) -> None:
    run = finished_run(hub)
    messages = event_stream(hub, renderer, (run.id, run.state.seq))
    next(messages)
    hub.close()
    assert list(messages) == []
    assert hub.subscribers == 0


def test_the_events_route_streams_from_last_event_id(app: Flask, client: FlaskClient) -> None:
    run = finished_run(services(app).hub)
    response = client.get("/events", headers={"Last-Event-ID": "garbage"})
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    body = iter(response.response)
    assert next(body) == b"retry: 1000\n\n"
    assert is_snapshot(next(body).decode(), run)
    assert client.get("/api/status").get_json()["streams"] == 1
    response.close()
    assert services(app).hub.subscribers == 0


def test_the_events_route_resumes_from_the_last_parameter(app: Flask, client: FlaskClient) -> None:
    run = finished_run(services(app).hub)
    response = client.get("/events", query_string={"last": f"{run.id}:{run.state.seq}"})
    body = iter(response.response)
    next(body)
    assert next(body) == PING.encode()
    response.close()
