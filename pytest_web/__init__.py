"""pytest-web: a browser UI for pytest.

The package is in layers (each a folder; `pyproject.toml`'s import-linter contracts keep them):
`core` (the event model: pure Python), `results` and `history` (CI files and kept runs),
`pytest_run` (the pytest subprocess), `web` (the Flask app) and `cli` (the command). Nothing here
imports Flask: `-p pytest_web.plugin` loads only the standard-library plugin into a test run.
"""

__version__ = "0.1.0"
