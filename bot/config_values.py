"""Reading one setting's text into its value: durations, whole numbers, lists, addresses,
the report's schedule, the retention period. Each failure is a `ConfigError` naming the
variable, so an operator sees one clear line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from urllib.parse import urlsplit

from bot.domain.periods import Schedule, parse_schedule

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?")


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names the variable."""


def parse_duration(text: str, name: str) -> timedelta:
    """`90s`, `15m`, `4h`, `1h30m`, `7d`."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None:
        raise ConfigError(f"{name}: {text!r} is not a duration such as 90s, 15m, 4h or 1h30m")
    days, hours, minutes, seconds = match.groups()
    return timedelta(
        days=int(days or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
        seconds=float(seconds or 0),
    )


def target_deadline(text: str, name: str) -> tuple[timedelta, timedelta]:
    parts = [part for part in text.split(",")]
    if len(parts) != 2:
        raise ConfigError(f"{name}: expected target,deadline such as 1h,4h; got {text!r}")
    target, deadline = (parse_duration(part, name) for part in parts)
    if not timedelta(0) < target <= deadline:
        raise ConfigError(f"{name}: the target must be positive and not after the deadline")
    return target, deadline


def whole(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}")
    return value


def listed(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in env.get(name, "").split(",") if item.strip())


def mailbox(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip() or default
    display, address = parseaddr(raw)
    if any(ch in raw for ch in "\r\n") or "@" not in address:
        raise ConfigError(f"{name}: {raw!r} is not an email address")
    try:
        Address(display_name=display, addr_spec=address)
    except (ValueError, IndexError) as error:
        raise ConfigError(f"{name}: {raw!r} is not an email address ({error})") from None
    return raw


def schedule(text: str) -> Schedule | None:
    try:
        return parse_schedule(text)
    except ValueError as error:
        raise ConfigError(f"HIB2B_REPORT_SCHEDULE: {error}") from None


def retention(text: str) -> timedelta | None:
    """`5y` (years of 365 days), `90d`, or `off`: how long closed tickets keep personal data."""
    text = text.strip().lower()
    if text in ("off", "no", "nunca", "never"):
        return None
    years = re.fullmatch(r"(\d+)\s*(?:y|a)", text)
    value = timedelta(days=365 * int(years.group(1))) if years else None
    if value is None:
        value = parse_duration(text, "HIB2B_RETENTION")
    if value < timedelta(days=1):
        raise ConfigError("HIB2B_RETENTION: at least a day (e.g. 5y, 180d), or off")
    return value


def keep_sent(text: str) -> timedelta | None:
    if text.strip().lower() in ("siempre", "always", "forever"):
        return None
    return positive(text, "HIB2B_KEEP_SENT")


def positive(text: str, name: str) -> timedelta:
    value = parse_duration(text, name)
    if value <= timedelta(0):
        raise ConfigError(f"{name}: must be longer than zero")
    return value


@dataclass(frozen=True)
class OAuth2:
    """How the support mailbox signs in with OAuth2 (`IMAP_AUTH`/`SMTP_AUTH=oauth2`): an
    access token refreshed from a long-lived refresh token at the provider's token endpoint."""

    token_url: str
    client_id: str
    client_secret: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    scope: str = ""  # Microsoft 365 wants the scopes on every refresh; Google does not

    def __repr__(self) -> str:  # never the secrets, whoever prints the settings
        return f"OAuth2(token_url={self.token_url!r}, client_id={self.client_id!r})"


def database_url(text: str) -> str | None:
    """HIB2B_DATABASE_URL: empty for the SQLite file in the data folder, or a PostgreSQL URL
    (libpq's form; `?host=/path` names a Unix socket's folder)."""
    if not text:
        return None
    if not text.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            "HIB2B_DATABASE_URL: must start with postgresql:// (or be empty for SQLite)"
        )
    return text


def auth_mode(env: Mapping[str, str], name: str) -> str:
    mode = (env.get(name) or "password").strip().lower()
    if mode not in {"password", "oauth2"}:
        raise ConfigError(f"{name}: must be password or oauth2")
    return mode


def oauth2(env: Mapping[str, str]) -> OAuth2:
    """The OAUTH2_* settings, all required but the secret (a public client has none)."""
    values = {name: (env.get(name) or "").strip() for name in OAUTH2_NAMES}
    missing = [name for name in OAUTH2_NAMES if not values[name] and name in OAUTH2_REQUIRED]
    if missing:
        raise ConfigError(f"{', '.join(missing)}: required when IMAP_AUTH or SMTP_AUTH is oauth2")
    url = urlsplit(values["OAUTH2_TOKEN_URL"])
    loopback = url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost", "::1")
    if not (url.scheme == "https" and url.hostname) and not loopback:
        # The refresh token and the client secret travel in that request.
        raise ConfigError("OAUTH2_TOKEN_URL: must be the provider's https:// token endpoint")
    return OAuth2(
        token_url=values["OAUTH2_TOKEN_URL"],
        client_id=values["OAUTH2_CLIENT_ID"],
        client_secret=values["OAUTH2_CLIENT_SECRET"],
        refresh_token=values["OAUTH2_REFRESH_TOKEN"],
        scope=values["OAUTH2_SCOPE"],
    )


OAUTH2_NAMES = (
    "OAUTH2_TOKEN_URL",
    "OAUTH2_CLIENT_ID",
    "OAUTH2_CLIENT_SECRET",
    "OAUTH2_REFRESH_TOKEN",
    "OAUTH2_SCOPE",
)
OAUTH2_REQUIRED = ("OAUTH2_TOKEN_URL", "OAUTH2_CLIENT_ID", "OAUTH2_REFRESH_TOKEN")
