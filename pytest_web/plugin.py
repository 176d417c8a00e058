"""`-p pytest_web.plugin`: the same plugin as the standalone `pytest_web_plugin` module."""

from pytest_web_plugin import *  # noqa: F401,F403
from pytest_web_plugin import pytest_addoption, pytest_configure, pytest_unconfigure  # noqa: F401
