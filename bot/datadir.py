"""The data folder as the service owns it: one service at a time, and private to its user.

The lock is an `flock` on `hib2b.lock` inside the folder, held for the life of the process: the
kernel drops it when the process dies, even by `kill -9`, so a stale file never blocks a start.
CLI commands do not take it; they work beside a running service."""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from pathlib import Path

LOCK_NAME = "hib2b.lock"
MOVED_NAME = "MIGRADA-A-POSTGRESQL"  # `hib2b migrar` leaves it: the SQLite file is history
PRIVATE_MARKER = ".privado"  # the whole tree was made private once
FOLDER_MODE, FILE_MODE = 0o700, 0o600


class AlreadyRunning(Exception):
    def __init__(self, folder: Path, pid: str) -> None:
        super().__init__(f"another service is running on {folder} (pid {pid or '?'})")
        self.folder = folder
        self.pid = pid


class InstanceLock:
    def __init__(self, descriptor: int | None) -> None:
        self._descriptor: int | None = descriptor

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing drops the flock
            self._descriptor = None


def lock(folder: Path) -> InstanceLock:
    """Take the folder for this process, or raise `AlreadyRunning` naming the holder."""
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    descriptor = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
        os.close(descriptor)
        raise AlreadyRunning(folder, holder) from None
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    return InstanceLock(descriptor)


def mark_moved(folder: Path, where: str) -> None:
    """After `hib2b migrar`: this folder's desk lives in PostgreSQL now (`where`, without its
    password)."""
    (folder / MOVED_NAME).write_text(
        f"Esta mesa se migró a {where}.\nArranque con HIB2B_DATABASE_URL; la base SQLite de esta"
        " carpeta ya no se usa.\n"
    )


def moved_refusal(folder: Path) -> str | None:
    """Why a service or a command must not use this folder's SQLite file: its desk moved to
    PostgreSQL (a replica whose settings lack the URL would split the desk in two)."""
    if not (folder / MOVED_NAME).exists():
        return None
    return (
        f"hib2b: la mesa de {folder} se migró a PostgreSQL ({folder / MOVED_NAME}); ponga "
        "HIB2B_DATABASE_URL en la configuración en vez de usar la base SQLite que quedó."
    )


def no_lock() -> InstanceLock:
    """For a desk on PostgreSQL: its replicas share the database, and may share this folder."""
    return InstanceLock(None)


def make_private(folder: Path, *extra_files: Path) -> int:
    """Folders 0700 and files 0600 under `folder` (and `extra_files`, such as a database kept
    elsewhere with its -wal and -shm); returns how many had to change. Earlier versions left
    them world-readable; suppliers' invoices and addresses live here.

    The whole tree is walked once (a marker file remembers it): since then everything is
    created under umask 077, so later starts only look at the folder's own entries — a desk
    with hundreds of thousands of attachments starts without stat-ing each of them."""
    changed = 0
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    changed += _chmod(folder, FOLDER_MODE)
    marker = folder / PRIVATE_MARKER
    if marker.exists():
        for entry in folder.iterdir():
            changed += _chmod(entry, FOLDER_MODE if entry.is_dir() else FILE_MODE)
    else:
        for root, folders, files in os.walk(folder):
            for name in folders:
                changed += _chmod(Path(root) / name, FOLDER_MODE)
            for name in files:
                changed += _chmod(Path(root) / name, FILE_MODE)
        descriptor = os.open(marker, os.O_WRONLY | os.O_CREAT, FILE_MODE)
        os.close(descriptor)
    for path in extra_files:
        for candidate in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ):
            with contextlib.suppress(FileNotFoundError):
                changed += _chmod(candidate, FILE_MODE)
    return changed


def _chmod(path: Path, mode: int) -> int:
    current = stat.S_IMODE(os.lstat(path).st_mode)
    if os.path.islink(path) or current == mode:
        return 0
    os.chmod(path, mode)
    return 1
