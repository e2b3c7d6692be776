"""One frozen `Settings`, read from the environment and validated before anything starts.

Every variable is listed with its meaning in `.env.example`. A bad value raises `ConfigError`
whose message names the variable, so an operator sees one clear line.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from bot.config_values import (
    ConfigError,
    OAuth2,
    auth_mode,
    database_url,
    keep_sent,
    listed,
    mailbox,
    oauth2,
    parse_duration,
    positive,
    retention,
    schedule,
    target_deadline,
    whole,
)
from bot.domain.attachments import Limits
from bot.domain.calendar import parse_days, parse_hours
from bot.domain.periods import Schedule
from bot.domain.text import MIB

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")

WEEKLY_REPORT = Schedule(0, time(9))  # Mondays at 09:00, the week before
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    channel: str | None = None
    leads: tuple[str, ...] = ()
    technicians: tuple[str, ...] = ()
    data_dir: Path = Path("data")
    db_path: Path = Path("data/hib2b.sqlite3")
    # postgresql://…: PostgreSQL instead of the SQLite file (may hold a password: no repr)
    database_url: str | None = field(default=None, repr=False)
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    trusted_proxies: tuple[Network, ...] = ()
    privacy_url: str = "/privacidad"
    timezone: str = "America/Mexico_City"
    business_days: str = "mon-fri"
    business_hours: str = "09:00-18:00"
    holidays: str = "MX"
    extra_closed_days: tuple[str, ...] = ()
    sla_first_contact: tuple[timedelta, timedelta] = (timedelta(hours=1), timedelta(hours=4))
    sla_bajo: tuple[timedelta, timedelta] = (timedelta(hours=8), timedelta(hours=32))
    sla_medio_alto: tuple[timedelta, timedelta] = (timedelta(hours=4), timedelta(hours=16))
    sla_critico: tuple[timedelta, timedelta] = (timedelta(hours=1), timedelta(hours=6))
    watch_interval: timedelta = timedelta(seconds=30)
    form_rate_limit: int = 20
    max_files: int = 10
    max_file_bytes: int = 10 * MIB
    max_total_bytes: int = 25 * MIB
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_tls: str = "starttls"
    smtp_auth: str = "password"  # or oauth2 (XOAUTH2 with `oauth2`'s token)
    smtp_timeout: timedelta = timedelta(seconds=30)
    mail_from: str = "Soporte HIB2B <soporte@portalhib2b.com>"
    mail_reply_to: str = "Soporte HIB2B <soporte@portalhib2b.com>"
    secret_key: str | None = None
    metrics_token: str | None = None  # required as a bearer token by /metrics when set
    imap_host: str | None = None
    imap_port: int = 993
    imap_tls: str = "ssl"
    imap_ca_file: str | None = None
    imap_username: str | None = None
    imap_password: str | None = field(default=None, repr=False)
    imap_auth: str = "password"  # or oauth2
    oauth2: OAuth2 | None = None  # when either side signs in with OAuth2
    imap_folder: str = "INBOX"
    imap_poll: timedelta = timedelta(seconds=30)
    reopen_window: timedelta = timedelta(days=7)
    cfdi_max_age: timedelta = timedelta(hours=72)  # an invoice stamped longer ago is flagged
    cfdi_timeout: timedelta = timedelta(seconds=10)  # a CFDI read taking longer is stopped
    keep_sent: timedelta | None = timedelta(days=30)  # None: delivered messages are kept
    report_schedule: Schedule | None = WEEKLY_REPORT  # None: no weekly report
    retention: timedelta | None = timedelta(days=5 * 365)  # None: closed tickets are kept
    auto_assign: str = "off"  # or round-robin: new tickets to the technicians on shift
    escalate_reassign: bool = False  # at «vencido», move to the least-loaded on shift
    retry_base: timedelta = timedelta(seconds=2)
    retry_max: timedelta = timedelta(minutes=5)
    log_level: str = "INFO"
    shutdown_grace: timedelta = timedelta(seconds=10)
    max_parts: int = 40
    body_timeout: timedelta = timedelta(seconds=60)
    pending_uploads_bytes: int = 500 * MIB
    pending_uploads_per_address_bytes: int = 50 * MIB
    db_busy_timeout: timedelta = timedelta(seconds=10)
    restart_base: timedelta = timedelta(seconds=1)

    @property
    def mode(self) -> str:
        """`local` (no Slack), `socket` (Socket Mode) or `http` (Events API over HTTP)."""
        if not self.slack_bot_token:
            return "local"
        return "socket" if self.slack_app_token else "http"

    @property
    def upload_limits(self) -> Limits:
        """The attachment limits every way in applies (form, API, email, Slack)."""
        return Limits(self.max_files, self.max_file_bytes, self.max_total_bytes)

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def privacy_link(self) -> str:
        """The privacy notice as an absolute URL, for emails."""
        if self.privacy_url.startswith(("http://", "https://")):
            return self.privacy_url
        return self.public_url + self.privacy_url

    @property
    def support_address(self) -> str:
        """The bare address suppliers can write to (the manual's soporte@portalhib2b.com)."""
        return parseaddr(self.mail_reply_to)[1]


def _check_calendar(env: Mapping[str, str]) -> None:
    checks = (
        ("HIB2B_BUSINESS_DAYS", "mon-fri", parse_days),
        ("HIB2B_BUSINESS_HOURS", "09:00-18:00", parse_hours),
    )
    for name, default, parse in checks:
        try:
            parse(env.get(name, "").strip() or default)
        except ValueError as error:
            raise ConfigError(f"{name}: {error}") from None
    country = env.get("HIB2B_HOLIDAYS", "").strip() or "MX"
    if country.lower() != "none" and country.upper() not in holidays.list_supported_countries():
        raise ConfigError(f"HIB2B_HOLIDAYS: unknown country code {country!r} (or none)")
    for day in listed(env, "HIB2B_EXTRA_CLOSED_DAYS"):
        try:
            date.fromisoformat(day)
        except ValueError:
            raise ConfigError(
                f"HIB2B_EXTRA_CLOSED_DAYS: {day!r} is not a date YYYY-MM-DD"
            ) from None


def _on_off(text: str, name: str) -> bool:
    text = text.strip().lower()
    if text not in ("on", "off"):
        raise ConfigError(f"{name}: on or off")
    return text == "on"


def _auto_assign(text: str) -> str:
    text = text.strip().lower()
    if text not in ("off", "round-robin"):
        raise ConfigError("HIB2B_AUTO_ASSIGN: off or round-robin")
    return text


def load_settings(env: Mapping[str, str]) -> Settings:
    """Settings from an environment mapping (os.environ after `.env` was loaded)."""
    get = lambda name, default="": env.get(name, "").strip() or default  # noqa: E731

    token = get("SLACK_BOT_TOKEN") or None
    app_token = get("SLACK_APP_TOKEN") or None
    secret = get("SLACK_SIGNING_SECRET") or None
    channel = get("HIB2B_CHANNEL") or None
    if token:
        if not token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN: a bot token starts with xoxb-")
        if not channel:
            raise ConfigError("HIB2B_CHANNEL is required when SLACK_BOT_TOKEN is set")
        if not _CHANNEL_ID.fullmatch(channel):
            raise ConfigError(f"HIB2B_CHANNEL: {channel!r} is not a channel id such as C0123ABCD")
        if not app_token and not secret:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is required when SLACK_BOT_TOKEN is set"
                " (or set SLACK_APP_TOKEN for Socket Mode)"
            )
    if app_token and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN: an app-level token starts with xapp-")
    if app_token and not token:
        raise ConfigError("SLACK_BOT_TOKEN is required when SLACK_APP_TOKEN is set")
    api_url = get("SLACK_API_URL", DEFAULT_SLACK_API_URL)
    if not api_url.endswith("/"):
        api_url += "/"  # slack_sdk drops the last path segment without it

    for name in ("HIB2B_LEADS", "HIB2B_TECHNICIANS"):
        for user in listed(env, name):
            if not _SLACK_ID.fullmatch(user):
                raise ConfigError(f"{name}: {user!r} is not a Slack user id such as U0123ABCD")

    data_dir = Path(get("HIB2B_DATA_DIR", "data"))
    host = get("HIB2B_HOST", "127.0.0.1")
    port = whole(env, "HIB2B_PORT", 8080)
    if port > 65535:
        raise ConfigError("HIB2B_PORT: must be at most 65535")
    public_url = get("HIB2B_PUBLIC_URL", f"http://{host}:{port}").rstrip("/")
    if not public_url.startswith(("http://", "https://")):
        raise ConfigError("HIB2B_PUBLIC_URL: must start with http:// or https://")

    proxies = []
    for item in listed(env, "HIB2B_TRUSTED_PROXIES"):
        try:
            proxies.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"HIB2B_TRUSTED_PROXIES: {item!r} is not an address") from None

    zone = get("HIB2B_TIMEZONE", "America/Mexico_City")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"HIB2B_TIMEZONE: unknown time zone {zone!r}") from None

    _check_calendar(env)

    smtp_tls = get("SMTP_TLS", "starttls").lower()
    if smtp_tls not in {"starttls", "ssl", "none"}:
        raise ConfigError("SMTP_TLS: must be starttls, ssl or none")
    smtp_user = get("SMTP_USERNAME") or None
    smtp_password = env.get("SMTP_PASSWORD") or None
    smtp_auth, imap_auth = auth_mode(env, "SMTP_AUTH"), auth_mode(env, "IMAP_AUTH")
    if smtp_auth == "oauth2":
        if not smtp_user or smtp_password:
            raise ConfigError("SMTP_AUTH=oauth2: set SMTP_USERNAME (the mailbox), no SMTP_PASSWORD")
    elif bool(smtp_user) != bool(smtp_password):
        raise ConfigError("SMTP_USERNAME and SMTP_PASSWORD go together")
    signing_in = oauth2(env) if "oauth2" in (smtp_auth, imap_auth) else None
    mail_from = mailbox(env, "MAIL_FROM", Settings.mail_from)

    max_file = whole(env, "HIB2B_MAX_FILE_MB", 10, 1) * MIB
    max_total = whole(env, "HIB2B_MAX_TOTAL_MB", 25, 1) * MIB
    if max_file > max_total:
        raise ConfigError("HIB2B_MAX_FILE_MB: cannot be larger than HIB2B_MAX_TOTAL_MB")

    secret_key = env.get("HIB2B_SECRET_KEY") or None
    if secret_key is not None and len(secret_key) < 32:
        raise ConfigError("HIB2B_SECRET_KEY: use at least 32 random characters")
    metrics_token = env.get("HIB2B_METRICS_TOKEN") or None
    if metrics_token is not None and (len(metrics_token) < 16 or not metrics_token.isascii()):
        raise ConfigError("HIB2B_METRICS_TOKEN: use at least 16 random ASCII characters")

    retry_base = parse_duration(get("HIB2B_RETRY_BASE", "2s"), "HIB2B_RETRY_BASE")
    retry_max = parse_duration(get("HIB2B_RETRY_MAX", "5m"), "HIB2B_RETRY_MAX")
    if retry_base <= timedelta(0) or retry_max < retry_base:
        raise ConfigError("HIB2B_RETRY_MAX: must be at least HIB2B_RETRY_BASE, both positive")

    imap_tls = get("IMAP_TLS", "ssl").lower()
    if imap_tls not in {"ssl", "starttls", "none"}:
        raise ConfigError("IMAP_TLS: must be ssl, starttls or none")
    imap_host = get("IMAP_HOST") or None
    if (
        imap_host
        and imap_auth == "oauth2"
        and (not get("IMAP_USERNAME") or env.get("IMAP_PASSWORD"))
    ):
        raise ConfigError("IMAP_AUTH=oauth2: set IMAP_USERNAME (the mailbox), no IMAP_PASSWORD")
    if (
        imap_host
        and imap_auth == "password"
        and not (get("IMAP_USERNAME") and env.get("IMAP_PASSWORD"))
    ):
        raise ConfigError("IMAP_USERNAME and IMAP_PASSWORD are required when IMAP_HOST is set")

    reopen_window = parse_duration(get("HIB2B_REOPEN_WINDOW", "7d"), "HIB2B_REOPEN_WINDOW")
    kept_for = retention(get("HIB2B_RETENTION", "5y"))
    if kept_for is not None and kept_for < reopen_window:
        # A reply could reopen a ticket whose supplier's data is already gone.
        raise ConfigError("HIB2B_RETENTION: must be at least HIB2B_REOPEN_WINDOW (7d)")

    return Settings(
        imap_host=imap_host,
        imap_port=whole(env, "IMAP_PORT", 993 if imap_tls == "ssl" else 143, 1),
        imap_tls=imap_tls,
        imap_ca_file=get("IMAP_CA_FILE") or None,
        imap_username=get("IMAP_USERNAME") or None,
        imap_password=env.get("IMAP_PASSWORD") or None,
        imap_auth=imap_auth,
        smtp_auth=smtp_auth,
        oauth2=signing_in,
        imap_folder=get("IMAP_FOLDER", "INBOX"),
        imap_poll=parse_duration(get("IMAP_POLL", "30s"), "IMAP_POLL"),
        reopen_window=reopen_window,
        cfdi_max_age=parse_duration(get("HIB2B_CFDI_MAX_AGE", "72h"), "HIB2B_CFDI_MAX_AGE"),
        cfdi_timeout=parse_duration(get("HIB2B_CFDI_TIMEOUT", "10s"), "HIB2B_CFDI_TIMEOUT"),
        keep_sent=keep_sent(get("HIB2B_KEEP_SENT", "30d")),
        report_schedule=schedule(get("HIB2B_REPORT_SCHEDULE", "mon 09:00")),
        retention=kept_for,
        auto_assign=_auto_assign(get("HIB2B_AUTO_ASSIGN", "off")),
        escalate_reassign=_on_off(get("HIB2B_ESCALATE_REASSIGN", "off"), "HIB2B_ESCALATE_REASSIGN"),
        slack_bot_token=token,
        slack_signing_secret=secret,
        slack_app_token=app_token,
        slack_api_url=api_url,
        channel=channel,
        leads=listed(env, "HIB2B_LEADS"),
        technicians=listed(env, "HIB2B_TECHNICIANS"),
        data_dir=data_dir,
        db_path=Path(get("HIB2B_DB", str(data_dir / "hib2b.sqlite3"))),
        database_url=database_url(get("HIB2B_DATABASE_URL", "")),
        host=host,
        port=port,
        public_url=public_url,
        trusted_proxies=tuple(proxies),
        privacy_url=get("HIB2B_PRIVACY_URL", "/privacidad"),
        timezone=zone,
        business_days=get("HIB2B_BUSINESS_DAYS", "mon-fri"),
        business_hours=get("HIB2B_BUSINESS_HOURS", "09:00-18:00"),
        holidays=get("HIB2B_HOLIDAYS", "MX"),
        extra_closed_days=listed(env, "HIB2B_EXTRA_CLOSED_DAYS"),
        sla_first_contact=target_deadline(
            get("HIB2B_SLA_FIRST_CONTACT", "1h,4h"), "HIB2B_SLA_FIRST_CONTACT"
        ),
        sla_bajo=target_deadline(get("HIB2B_SLA_BAJO", "8h,32h"), "HIB2B_SLA_BAJO"),
        sla_medio_alto=target_deadline(
            get("HIB2B_SLA_MEDIO_ALTO", "4h,16h"), "HIB2B_SLA_MEDIO_ALTO"
        ),
        sla_critico=target_deadline(get("HIB2B_SLA_CRITICO", "1h,6h"), "HIB2B_SLA_CRITICO"),
        watch_interval=parse_duration(get("HIB2B_WATCH_INTERVAL", "30s"), "HIB2B_WATCH_INTERVAL"),
        form_rate_limit=whole(env, "HIB2B_FORM_RATE_LIMIT", 20),
        max_files=whole(env, "HIB2B_MAX_FILES", 10, 1),
        max_file_bytes=max_file,
        max_total_bytes=max_total,
        smtp_host=get("SMTP_HOST") or None,
        smtp_port=whole(env, "SMTP_PORT", 587, 1),
        smtp_username=smtp_user,
        smtp_password=smtp_password,
        smtp_tls=smtp_tls,
        smtp_timeout=parse_duration(get("SMTP_TIMEOUT", "30s"), "SMTP_TIMEOUT"),
        mail_from=mail_from,
        mail_reply_to=mailbox(env, "MAIL_REPLY_TO", mail_from),
        secret_key=secret_key,
        metrics_token=metrics_token,
        retry_base=retry_base,
        retry_max=retry_max,
        log_level=get("HIB2B_LOG_LEVEL", "INFO").upper(),
        shutdown_grace=parse_duration(get("HIB2B_SHUTDOWN_GRACE", "10s"), "HIB2B_SHUTDOWN_GRACE"),
        max_parts=whole(env, "HIB2B_MAX_PARTS", 40, 1),
        body_timeout=positive(get("HIB2B_BODY_TIMEOUT", "60s"), "HIB2B_BODY_TIMEOUT"),
        pending_uploads_bytes=whole(env, "HIB2B_PENDING_UPLOADS_MB", 500, 1) * MIB,
        pending_uploads_per_address_bytes=whole(env, "HIB2B_PENDING_UPLOADS_ADDRESS_MB", 50, 1)
        * MIB,
        db_busy_timeout=positive(get("HIB2B_DB_BUSY_TIMEOUT", "10s"), "HIB2B_DB_BUSY_TIMEOUT"),
        restart_base=positive(get("HIB2B_RESTART_BASE", "1s"), "HIB2B_RESTART_BASE"),
    )
