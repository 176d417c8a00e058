"""History is private: captured output and tracebacks are kept in a folder only the server's
user can enter (0700), in files only it can read (0600: the database, its -wal and -shm, the
lock), whatever the umask. A data folder that another user owns or may write to (another user
could create the repository's predictably named folder first, or swap it later) is refused with
a clear message: the server starts without history.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from conftest import close_history
from events import finished_run

from pytest_web.core.hub import Hub
from pytest_web.history import History, database_path
from pytest_web.web import create_app
from pytest_web.web.services import services
from support import TOKEN, app_config

NOBODY = 65534


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def give_away(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `path` another user's: really (as root), or as this process sees its own uid."""
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)
    else:
        other = os.geteuid() + 1
        monkeypatch.setattr(os, "geteuid", lambda: other)


@pytest.fixture
def no_umask():
    """Files and folders made meanwhile get exactly the mode asked for."""
    old = os.umask(0)
    yield
    os.umask(old)


def kept_run(history: History) -> None:
    finished_run(Hub(sink=history.record))
    history.flush()


def test_the_folders_are_0700_and_every_file_0600(
    tmp_path: Path, demo_repo: Path, no_umask: None
) -> None:
    data = tmp_path / "data"
    history = History.for_repo(data, demo_repo)
    history.claim()
    kept_run(history)
    db = database_path(data, demo_repo)
    files = [
        db,
        *(db.with_name(db.name + end) for end in ("-wal", "-shm")),
        db.with_suffix(".lock"),
    ]
    assert all(f.exists() for f in files)
    assert {str(f.name): mode(f) for f in files} == {str(f.name): 0o600 for f in files}
    assert mode(db.parent) == 0o700 and mode(data) == 0o700
    history.db.close()


def test_what_an_older_version_left_readable_is_tightened(tmp_path: Path, demo_repo: Path) -> None:
    data = tmp_path / "data"
    db = database_path(data, demo_repo)
    db.parent.mkdir(parents=True)
    first = History(db)
    kept_run(first)
    first.db.close()
    os.chmod(db.parent, 0o755)
    os.chmod(db, 0o644)
    again = History(db)
    assert mode(db.parent) == 0o700 and mode(db) == 0o600
    again.db.close()


@pytest.mark.parametrize("folder_mode", [0o777, 0o775, 0o757], ids=oct)
def test_a_data_folder_others_may_write_to_is_refused(
    tmp_path: Path, demo_repo: Path, capsys: pytest.CaptureFixture[str], folder_mode: int
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, folder_mode)
    app = create_app(app_config(demo_repo, data_dir=data))
    assert services(app).history is None and list(data.iterdir()) == []
    error = capsys.readouterr().err
    assert f"{data} can be written by other users (mode {folder_mode:04o})" in error
    assert f"chmod go-w {data}" in error
    page = app.test_client().get("/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 200  # the server still serves, without history


def test_a_repository_folder_another_user_made_first_is_refused(
    tmp_path: Path,
    demo_repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = tmp_path / "data"
    taken = database_path(data, demo_repo).parent  # its name is predictable
    taken.mkdir(parents=True)
    os.chmod(data, 0o700)
    give_away(taken, monkeypatch)
    app = create_app(app_config(demo_repo, data_dir=data))
    assert services(app).history is None and list(taken.iterdir()) == []
    assert f"{taken} belongs to another user" in capsys.readouterr().err


def test_a_symlink_another_user_planted_is_refused(
    tmp_path: Path, demo_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to make a symlink that another user owns")
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    link = database_path(data, demo_repo).parent
    link.symlink_to(elsewhere)
    os.lchown(link, NOBODY, NOBODY)
    app = create_app(app_config(demo_repo, data_dir=data))
    assert services(app).history is None and list(elsewhere.iterdir()) == []
    assert "belongs to another user" in capsys.readouterr().err
    close_history(app)
