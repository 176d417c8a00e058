"""The Flask app: pages, fragments, the event stream and the JSON API (`create_app`)."""

from pytest_web.web.app import create_app

__all__ = ["create_app"]
