"""A test's reports that say only when, how and how long, kept as their durations.

Most tests' reports are three plain fields each (a pass: setup, call and teardown). As dicts in
a list they cost about 680 bytes per test, two thirds of a million-test recording's memory; as
one shared shape and a tuple of durations about 110. They read back as the same `Phase` dicts,
made when asked for: a test's detail and the slowest phases ask for a few.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

from pytest_web.core.events import Phase
from pytest_web.core.outcomes import categories

Shape = tuple[tuple[str, str], ...]
"""Each report's `when` and `outcome`, in order."""

_SHAPES: dict[Shape, Shape] = {}
"""Every shape seen, once: a million passes share one."""
_COUNTED: dict[Shape, list[str]] = {}
"""What each shape counts in pytest's summary (`outcomes.categories`), asked once per shape."""
MAX_SHAPES = 10_000
"""Shapes kept shared; odd ones past this are kept as they came."""


class Timings(Sequence[Phase]):
    """Plain reports as their shared shape and their durations; a `Sequence` of `Phase`."""

    __slots__ = ("durations", "shape")

    def __init__(self, shape: Shape, durations: tuple[float, ...]) -> None:
        self.shape, self.durations = shape, durations

    def __len__(self) -> int:
        return len(self.durations)

    @overload
    def __getitem__(self, index: int) -> Phase: ...

    @overload
    def __getitem__(self, index: slice) -> list[Phase]: ...

    def __getitem__(self, index: int | slice) -> Phase | list[Phase]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        when, outcome = self.shape[index]
        return {"when": when, "outcome": outcome, "duration": self.durations[index]}

    def __iter__(self) -> Iterator[Phase]:
        for (when, outcome), duration in zip(self.shape, self.durations, strict=True):
            yield {"when": when, "outcome": outcome, "duration": duration}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Timings):
            return self.shape == other.shape and self.durations == other.durations
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, like the list it stands for

    def __repr__(self) -> str:
        return repr(list(self))


def timings(phases: Sequence[Phase]) -> Sequence[Phase]:
    """`phases` as `Timings` when each is only `when`, `outcome` and `duration` (the door,
    `clean.phase`, made their types sure); else as given."""
    if phases.__class__ is not list or not phases:
        return phases
    if len(phases) == 1:  # a JUnit testcase's
        phase = phases[0]
        if len(phase) != 3:
            return phases
        key: Shape = ((phase["when"], phase["outcome"]),)
        durations: tuple[float, ...] = (phase["duration"],)
    else:
        for phase in phases:
            if len(phase) != 3:
                return phases
        key = tuple([(p["when"], p["outcome"]) for p in phases])
        durations = tuple([p["duration"] for p in phases])
    shared = _SHAPES.get(key)
    if shared is None:
        if len(_SHAPES) >= MAX_SHAPES:
            return phases
        shared = _SHAPES[key] = key
    return Timings(shared, durations)


def counted(found: Timings) -> list[str]:
    """`outcomes.categories` of `found`, the same list for every test of its shape: read it,
    never change it."""
    shape = found.shape
    known = _COUNTED.get(shape)
    if known is None:
        known = _COUNTED[shape] = categories(found)
    return known


def reports(phases: Sequence[Phase]) -> tuple[Sequence[Phase], float, list[str]]:
    """A test's reports as kept (`timings`), their total duration, and what they count."""
    kept = timings(phases)
    if isinstance(kept, Timings):  # most tests: what they count known by their shape
        return kept, sum(kept.durations), counted(kept)
    return kept, sum([p["duration"] for p in kept]), categories(kept)
