"""The names the plugin shares with the server (the server's copies are in
`pytest_web.core.events`; a test checks that they agree)."""

ENV_URL = "PYTEST_WEB_URL"
ENV_RUN = "PYTEST_WEB_RUN"
ENV_SECRET = "PYTEST_WEB_SECRET"
ENV_COLLECT = "PYTEST_WEB_COLLECT"
ENV_RECORD = "PYTEST_WEB_RECORD"
ENV_SPOOL = "PYTEST_WEB_SPOOL"
SECRET_HEADER = "X-Pytest-Web-Secret"
RUN_HEADER = "X-Pytest-Web-Run"
"""The run's secret and id travel in headers: the server checks them before reading a body."""
TEXT_CAP = 1024 * 1024
"""Characters kept per traceback or captured section (the server's `core.clean.TEXT_CAP`)."""
