"""A backup is a plain folder: the database (`hib2b.sqlite3`, a consistent copy), the
attachments it refers to (`uploads/…`), the desk's key (`secret.key`, when it lives in the data
folder) and `MANIFEST.sha256`, in `sha256sum`'s format, so `sha256sum -c MANIFEST.sha256` checks
it by hand too. Restoring checks every sum first and fills only an empty or missing data folder.

Blocking (file copies, fsync): callers run these in a thread."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from pathlib import Path

DATABASE = "hib2b.sqlite3"
KEY = "secret.key"
MANIFEST = "MANIFEST.sha256"


class BackupError(Exception):
    """The backup cannot be made or used; the message says which file and why."""


def referred_files(database: Path) -> list[str]:
    """The files (relative to the data folder) a database refers to: ticket attachments and
    the files of forms not sent yet."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT stored_name FROM attachments UNION SELECT stored_name FROM form_uploads"
        ).fetchall()
    finally:
        conn.close()
    return sorted(row[0] for row in rows)


def copy_files(data_dir: Path, target: Path, names: list[str]) -> list[str]:
    """Copy `names` (relative) from the data folder into the backup; returns those gone from
    disk meanwhile (a form's files swept after a day)."""
    missing = []
    for name in names:
        source = _inside(data_dir, name)
        if not source.exists():
            missing.append(name)
            continue
        destination = _inside(target, name)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    key = data_dir / KEY
    if key.exists():
        shutil.copyfile(key, target / KEY)
    return missing


def write_manifest(folder: Path) -> int:
    """The SHA-256 of every file of the backup, written last and made durable; returns how many
    files it lists."""
    lines = [f"{_sha256(path)}  {path.relative_to(folder).as_posix()}\n" for path in _files(folder)]
    manifest = folder / MANIFEST
    with open(manifest, "w", encoding="utf-8") as handle:
        handle.writelines(lines)
        handle.flush()
        os.fsync(handle.fileno())
    return len(lines)


def verify(folder: Path) -> list[str]:
    """What is wrong with the backup (empty: nothing): files missing, changed or not listed."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return [f"falta {MANIFEST}"]
    listed: dict[str, str] = {}
    problems = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            problems.append(f"{MANIFEST}: línea no válida: {line[:80]!r}")
            continue
        listed[name] = digest
    present = {path.relative_to(folder).as_posix(): path for path in _files(folder)}
    for name, digest in sorted(listed.items()):
        path = present.get(name)
        if path is None:
            problems.append(f"falta {name}")
        elif _sha256(path) != digest:
            problems.append(f"{name} cambió desde el respaldo")
    problems += [f"{name} no está en {MANIFEST}" for name in sorted(set(present) - set(listed))]
    if DATABASE not in listed:
        problems.append(f"falta {DATABASE}")
    return problems


def restore(folder: Path, data_dir: Path) -> int:
    """Fill `data_dir` (missing or empty) from a verified backup; returns the files restored.
    Written beside it first and renamed into place, so a failure leaves no half data folder."""
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"{data_dir} no está vacía: restauro solo en una carpeta vacía o nueva")
    problems = verify(folder)
    if problems:
        raise BackupError("el respaldo no está completo: " + "; ".join(problems[:10]))
    staging = data_dir.parent / f".{data_dir.name}.restaurando"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True, mode=0o700)
    try:
        count = 0
        for path in _files(folder):
            destination = staging / path.relative_to(folder)
            destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copyfile(path, destination)
            os.chmod(destination, 0o600)
            count += 1
        if data_dir.exists():
            data_dir.rmdir()  # empty, checked above
        os.replace(staging, data_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file() and path.name != MANIFEST)


def _inside(folder: Path, name: str) -> Path:
    # Names come from our own database, but a backup may come from anywhere: never outside.
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise BackupError(f"{name}: fuera de la carpeta")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()
