"""Attachment files on disk: written under the data folder with a generated name, durable
before a ticket refers to them. Blocking (fsync): callers run these in a thread."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Saved:
    stored_name: str  # relative to the data folder
    size: int
    sha256: str


def save(data_dir: Path, data: bytes, suffix: str) -> Saved:
    """Write `data` under `data_dir/uploads` with a generated name ending in `suffix` (the
    extension of its checked kind); durable before returning.
    Blocking (it fsyncs): call it in a thread."""
    relative = Path("uploads") / f"{uuid.uuid4().hex}{suffix}"
    target = data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".part")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except OSError:
        temporary.unlink(missing_ok=True)  # a full disk leaves no half file behind
        raise
    return Saved(relative.as_posix(), len(data), hashlib.sha256(data).hexdigest())


PROBE_PREFIX = ".sonda-"  # the health probe's own short-lived file, never an attachment


def probe(folder: Path) -> None:
    """Write, sync and delete a small file in `folder`: raises OSError when it cannot."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{PROBE_PREFIX}{uuid.uuid4().hex}"
    try:
        with open(target, "wb") as handle:
            handle.write(b"\0" * 4096)
            handle.flush()
            os.fsync(handle.fileno())
    finally:
        target.unlink(missing_ok=True)


def remove(data_dir: Path, stored_name: str) -> None:
    (data_dir / stored_name).unlink(missing_ok=True)
