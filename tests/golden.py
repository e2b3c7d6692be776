"""Golden files: what a renderer produced once, read by eye and kept. A change in rendering
fails with a unified diff; `HIB2B_UPDATE_GOLDEN=1` writes the new output instead (read it before
committing)."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest

FOLDER = Path(__file__).parent / "golden"


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def assert_golden(filename: str, text: str) -> None:
    path = FOLDER / filename
    if os.environ.get("HIB2B_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"{path} is missing: run with HIB2B_UPDATE_GOLDEN=1 to write it")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), text.splitlines(), str(path), "rendered", lineterm=""
        )
        pytest.fail(f"{filename} differs from the golden file:\n" + "\n".join(diff))
