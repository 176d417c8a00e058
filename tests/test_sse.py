"""`pytest_web.core.sse`: the exact bytes of each Server-Sent Event, and reading event ids back."""

from __future__ import annotations

import pytest

from pytest_web.core.sse import PING, ServerSentEvent, parse_event_id


def parse_stream(text: str) -> list[dict[str, str]]:
    """A minimal reader following the HTML spec's SSE parsing, to check what a browser sees."""
    messages: list[dict[str, str]] = []
    data: list[str] = []
    fields: dict[str, str] = {}
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line == "":
            if data or fields:
                messages.append({**fields, **({"data": "\n".join(data)} if data else {})})
            data, fields = [], {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        else:
            fields[name] = value
    return messages


def test_data_only() -> None:
    assert str(ServerSentEvent("hello")) == "data: hello\n\n"


def test_empty_data_is_still_sent() -> None:
    assert str(ServerSentEvent("")) == "data: \n\n"


def test_all_fields_in_order() -> None:
    message = ServerSentEvent("x", event="delta", id="run:3", retry=1500)
    assert str(message) == "event: delta\nid: run:3\nretry: 1500\ndata: x\n\n"


@pytest.mark.parametrize(
    "data",
    [
        "one\ntwo\nthree",
        "one\r\ntwo\r\nthree",
        "one\rtwo\rthree",
        "one\r\ntwo\nthree",
        "one\rtwo\r\nthree",
    ],
)
def test_every_line_break_becomes_its_own_data_line(data: str) -> None:
    assert str(ServerSentEvent(data)) == "data: one\ndata: two\ndata: three\n\n"


def test_cr_lf_is_one_break_not_two() -> None:
    assert str(ServerSentEvent("a\r\n\r\nb")) == "data: a\ndata: \ndata: b\n\n"


def test_trailing_and_blank_lines_are_kept() -> None:
    assert str(ServerSentEvent("a\n")) == "data: a\ndata: \n\n"
    assert str(ServerSentEvent("\n\n")) == "data: \ndata: \ndata: \n\n"
    assert parse_stream(str(ServerSentEvent("a\n\nb\n"))) == [{"data": "a\n\nb\n"}]


def test_field_text_inside_data_cannot_start_a_field_or_end_the_message() -> None:
    evil = "<p>\nid: evil\nevent: close\nretry: 1\n\ndata: injected\r\rdata: more"
    wire = str(ServerSentEvent(evil))
    assert wire == (
        "data: <p>\n"
        "data: id: evil\n"
        "data: event: close\n"
        "data: retry: 1\n"
        "data: \n"
        "data: data: injected\n"
        "data: \n"
        "data: data: more\n\n"
    )
    assert wire.count("\n\n") == 1
    [message] = parse_stream(wire)
    assert message == {"data": evil.replace("\r", "\n")}


@pytest.mark.parametrize("unsafe", ["\n", "\r", "\r\n", "\x00"])
def test_line_breaks_and_nul_are_stripped_from_id_and_event(unsafe: str) -> None:
    message = ServerSentEvent(
        "d",
        event=f"de{unsafe}lta{unsafe}data: x",
        id=f"run{unsafe}:7{unsafe}retry: 0",
    )
    assert str(message) == "event: deltadata: x\nid: run:7retry: 0\ndata: d\n\n"
    assert parse_stream(str(message)) == [
        {"event": "deltadata: x", "id": "run:7retry: 0", "data": "d"}
    ]


def test_empty_event_is_left_out_but_empty_id_is_sent() -> None:
    assert str(ServerSentEvent("d", event="")) == "data: d\n\n"
    assert str(ServerSentEvent("d", id="")) == "id: \ndata: d\n\n"


def test_retry_only_message() -> None:
    assert str(ServerSentEvent(retry=1000)) == "retry: 1000\n\n"


def test_retry_is_written_as_an_integer() -> None:
    assert str(ServerSentEvent(retry=2.9)) == "retry: 2\n\n"  # type: ignore[arg-type]


def test_ping_is_a_comment() -> None:
    assert PING == ": ping\n\n"
    assert parse_stream(PING) == []


def test_str_is_stable_and_messages_compare_by_value() -> None:
    message = ServerSentEvent("x", id="r:1")
    assert str(message) == str(message)
    assert message == ServerSentEvent("x", id="r:1")
    with pytest.raises(AttributeError):
        message.data = "y"  # type: ignore[misc]


# --- parse_event_id ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20260101-120000-abcdef:0", ("20260101-120000-abcdef", 0)),
        ("20260101-120000-abcdef:42", ("20260101-120000-abcdef", 42)),
        ("run:000000000012", ("run", 12)),
        ("a:b:7", ("a:b", 7)),  # the sequence number is after the last colon
        ("r:" + "9" * 12, ("r", 999_999_999_999)),
        ("r" * 98 + ":1", ("r" * 98, 1)),  # exactly 100 characters
    ],
)
def test_parse_event_id_valid(value: str, expected: tuple[str, int]) -> None:
    assert parse_event_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        "run:",
        "run:abc",
        "run:-1",
        "run:+1",
        "run: 1",
        "run:1 ",
        "run:1.0",
        "run:1e3",
        "run:0x10",
        "r:" + "9" * 13,  # too many digits
        "r" * 99 + ":1",  # too long overall
        "r" * 5000 + ":1",
        "r" * 10_000_000,
        "run\x00:1",
        "run\n:1",
        "run\x1b:1",
        "run:1\x00",
        "run:\u0661\u0662",  # Arabic-Indic digits
        "run:\uff11",  # fullwidth 1
        "run:\u00b2",  # superscript two
        "run:\u0967",  # Devanagari one
    ],
)
def test_parse_event_id_rejects(value: str | None) -> None:
    assert parse_event_id(value) is None


def test_parse_event_id_round_trips_the_ids_the_stream_writes() -> None:
    run_id, seq = "20260101-120000-abcdef", 123
    wire = str(ServerSentEvent("x", id=f"{run_id}:{seq}"))
    [message] = parse_stream(wire)
    assert parse_event_id(message["id"]) == (run_id, seq)
