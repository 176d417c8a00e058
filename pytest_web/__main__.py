"""`python -m pytest_web` is the `pytest-web` command."""

from pytest_web.cli import main

main()
