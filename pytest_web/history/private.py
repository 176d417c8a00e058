"""History holds captured output and tracebacks: its folder is 0700 and its files 0600, and a
folder that another user owns, or that others may write to, is refused (whoever can write the
data folder can swap the repository's folder for one of their own, then read every run).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


class UnsafeFolder(Exception):
    """A history folder that other users own or may write to; the message says how to fix it."""


def check_folder(folder: Path) -> None:
    """`folder` must be a folder of ours that only we may write to."""
    try:
        info = folder.stat()
        link = folder.lstat()
    except OSError as error:
        raise UnsafeFolder(f"cannot use {folder}: {error.strerror}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFolder(f"{folder} is not a folder")
    for found in (info, link):
        if found.st_uid != os.geteuid():
            raise UnsafeFolder(
                f"{folder} belongs to another user (uid {found.st_uid}): history is not kept "
                "there; give a folder of your own with --data"
            )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        mode = stat.S_IMODE(info.st_mode)
        raise UnsafeFolder(
            f"{folder} can be written by other users (mode {mode:04o}): history is not kept "
            f"there; `chmod go-w {folder}`, or give another folder with --data"
        )


def private_folder(folder: Path, data_dir: Path) -> None:
    """Make `folder` (a repository's, inside `data_dir`) ours alone: `data_dir` created 0700
    when missing and checked, `folder` created or tightened to 0700 and checked."""
    for path in (data_dir, folder):
        try:
            path.mkdir(mode=FOLDER_MODE, parents=path is data_dir)
        except FileExistsError:
            pass
        except OSError as error:
            raise UnsafeFolder(f"cannot create {path}: {error.strerror}") from None
        check_folder(path)
    os.chmod(folder, FOLDER_MODE)


def private_file(path: Path) -> None:
    """Create `path` 0600 when missing (SQLite gives its -wal and -shm files the database's
    mode), or tighten it to 0600."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
