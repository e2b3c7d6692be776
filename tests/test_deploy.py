"""The systemd units in `deploy/`: hardened as DESIGN asks, stopping within the service's own
bound, backups by timer; and, where systemd's tools exist, accepted by `systemd-analyze verify`
(the static checks run everywhere)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from bot.config import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
STOP_BEYOND_GRACE_S = 5  # the service's contract: it exits within grace + 5 s


def unit(name: str) -> dict[str, list[str]]:
    """key -> every value it has (systemd allows repeated keys), across sections."""
    found: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "[")):
            continue
        key, _, value = line.partition("=")
        found.setdefault(key, []).append(value)
    return found


def test_the_service_is_hardened_and_stops_in_time() -> None:
    service = unit("hib2b.service")
    assert service["ExecStart"] == ["/opt/hib2b/.venv/bin/python -m bot"]
    assert service["User"] == ["hib2b"]  # never root
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "StateDirectory": "hib2b",
        "StateDirectoryMode": "0700",
        "UMask": "0077",
        "CapabilityBoundingSet": "",
        "RestrictSUIDSGID": "yes",
    }.items():
        assert service[key] == [value], key
    assert "HIB2B_DATA_DIR=/var/lib/hib2b" in service["Environment"][0]
    grace = Settings().shutdown_grace.total_seconds()
    assert int(service["TimeoutStopSec"][0]) >= grace + STOP_BEYOND_GRACE_S
    assert service["Restart"] == ["on-failure"]


def test_backups_run_daily_into_a_new_folder() -> None:
    backup = unit("hib2b-backup.service")
    assert "-m bot respaldo" in backup["ExecStart"][0]
    assert "/var/lib/hib2b-backups/$(date +%%Y%%m%%d-%%H%%M%%S)" in backup["ExecStart"][0]
    assert backup["User"] == ["hib2b"] and backup["Type"] == ["oneshot"]
    timer = unit("hib2b-backup.timer")
    assert timer["OnCalendar"] and timer["Persistent"] == ["yes"]


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    for name in ("hib2b.service", "hib2b-backup.service", "hib2b-backup.timer"):
        # The paths of a real server, made real here: its Python, no settings file yet.
        text = (DEPLOY / name).read_text()
        text = text.replace("/opt/hib2b/.venv/bin/python", sys.executable)
        text = text.replace("EnvironmentFile=/etc", "EnvironmentFile=-/etc")
        (tmp_path / name).write_text(text)
    if analyze is None:
        return  # no systemd here: the static checks above are what runs
    result = subprocess.run(
        [
            analyze,
            "verify",
            *(str(tmp_path / n) for n in sorted(p.name for p in tmp_path.iterdir())),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "hib2b" not in result.stderr, result.stderr
