"""Run history: every run's events kept in SQLite (`store`), written in batches (`writer`), read
back and compared (`queries`)."""

from pytest_web.history.store import HistoryError, database_path, default_data_dir
from pytest_web.history.writer import DASHBOARD_KEEP, History, dashboard_history

__all__ = [
    "DASHBOARD_KEEP",
    "History",
    "HistoryError",
    "dashboard_history",
    "database_path",
    "default_data_dir",
]
