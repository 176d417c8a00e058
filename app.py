"""gunicorn entry: `gunicorn -k gevent -w 1 app:app` (settings from PYTEST_WEB_* variables)."""

from pytest_web.web import create_app

app = create_app()
