"""The event model, pure Python (no Flask, no I/O): the events (`events`), pytest's rules
(`outcomes`), a run's state folded from its events (`fold`), the test tree (`tree`), the
in-process pub/sub (`hub`) and the Server-Sent Events wire format (`sse`)."""
