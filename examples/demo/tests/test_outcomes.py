"""One test per outcome pytest reports."""

import logging
import sys

import pytest


def test_passes():
    print("hello from stdout")
    assert 1 + 1 == 2


def test_fails():
    expected = {"name": "pytest-web", "tests": 3}
    actual = {"name": "pytest-web", "tests": 4}
    assert actual == expected


def test_logs_and_fails():
    logging.getLogger("demo").warning("about to fail")
    print("to stderr", file=sys.stderr)
    raise ValueError("something went wrong")


@pytest.fixture
def broken_setup():
    raise RuntimeError("fixture could not start")


def test_setup_error(broken_setup):
    pass


@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("fixture could not clean up")


def test_teardown_error(broken_teardown):
    assert True


@pytest.mark.skip(reason="not on this platform")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known bug #12")
def test_xfailed():
    assert False


@pytest.mark.xfail(reason="was broken, maybe fixed")
def test_xpassed():
    assert True
