"""Parametrized cases and a class, some of them slow enough to watch."""

import time

import pytest


@pytest.mark.parametrize("n", range(8))
def test_square(n):
    assert n * n >= n


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.3, 0.6, 0.9])
def test_slow(delay):
    time.sleep(delay)


class TestStrings:
    def test_upper(self):
        assert "web".upper() == "WEB"

    @pytest.mark.parametrize("word", ["pytest", "htmx", "gevent"])
    def test_title(self, word):
        assert word.title()[0].isupper()

    def test_split(self):
        assert "a b".split() == ["a", "b", "c"]
