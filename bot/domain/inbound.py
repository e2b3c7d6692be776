"""Reading an email that arrived in the support mailbox. Pure: bytes in, what it says out.

Spanish mail comes in UTF-8, ISO-8859-1 and Windows-1252, sometimes HTML only; suppliers reply
on top of the quoted history and add signatures; out-of-office replies and bounces must never be
taken for a supplier's words."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

from bot.domain.form import ascii_address
from bot.domain.terms import parse_ticket_code

_MSGID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
_TICKET_IN_SUBJECT = re.compile(r"\[\s*(HD-[0-9]{1,9})\s*\]", re.IGNORECASE)
# The line a client writes above the history it quotes («El lun, 30 nov 2026 a las 10:02,
# Soporte HIB2B <soporte@…> escribió:»). Gmail wraps it when it is long, so up to three lines
# are read together.
_ATTRIBUTION = re.compile(
    r"^\s*(El|On)\s.{0,300}(escribió|wrote)\s*:\s*$", re.IGNORECASE | re.DOTALL
)
_ATTRIBUTION_START = re.compile(r"^\s*(El|On)\s", re.IGNORECASE)
# Where a forwarded or Outlook-quoted history starts: never the supplier's own words.
_HISTORY_STARTS = [
    re.compile(
        r"^\s*-{2,}\s*(Mensaje original|Original Message|Forwarded message|Mensaje reenviado)"
        r"\s*-{2,}",
        re.IGNORECASE,
    ),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above "De:/From:"
    re.compile(r"^\s*(De|From):\s.+$"),
]
_SIGNATURE = re.compile(
    r"^(--\s?|Enviado desde mi .+|Sent from my .+|Obtener Outlook para .+)$", re.IGNORECASE
)
_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_DMARC_FAIL = re.compile(r"\bdmarc\s*=\s*fail\b", re.IGNORECASE)
_DMARC_NONE = re.compile(r"\bp\s*=\s*none\b", re.IGNORECASE)


@dataclass(frozen=True)
class Part:
    name: str
    data: bytes


@dataclass(frozen=True)
class Inbound:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    references: tuple[str, ...]  # In-Reply-To, then References, newest first
    ticket_in_subject: int | None
    text: str  # what the sender wrote now, without the quoted history or signature
    attachments: tuple[Part, ...]
    automatic: bool  # an auto-reply: never a supplier's words
    bounce: bool  # a delivery failure report
    bounced: tuple[str, ...]  # Message-IDs the bounce is about
    spam: bool = False  # the mail server's filter marked it (X-Spam-Flag / X-Spam-Status)
    dmarc_fail: bool = False  # Authentication-Results says the From domain did not sign it
    sent_at: datetime | None = None  # its Date header, when readable and with a zone


def sent_at(message: EmailMessage) -> datetime | None:
    try:
        moment = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


def parse(raw: bytes) -> Inbound:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    name, sender = parseaddr(str(message.get("From", "")))
    message_id = _first_id(str(message.get("Message-ID", ""))) or ""
    references = _ids(str(message.get("In-Reply-To", ""))) + tuple(
        reversed(_ids(str(message.get("References", ""))))
    )
    subject = " ".join(str(message.get("Subject", "")).split())
    found = _TICKET_IN_SUBJECT.search(subject)
    bounce = _is_bounce(message, sender)
    return Inbound(
        message_id=message_id,
        sender=ascii_address(sender.lower()),
        sender_name=name,
        subject=subject,
        references=tuple(dict.fromkeys(references)),
        ticket_in_subject=parse_ticket_code(found.group(1)) if found else None,
        text="" if bounce else new_text(_body(message)),
        attachments=() if bounce else _attachments(message),
        automatic=bounce or _is_automatic(message),
        bounce=bounce,
        bounced=_bounced_ids(message) if bounce else (),
        spam=_is_spam(message),
        dmarc_fail=_dmarc_failed(message),
        sent_at=sent_at(message),
    )


def _dmarc_failed(message: EmailMessage) -> bool:
    """Only the topmost `Authentication-Results` counts: our own mail server adds it last (a
    sender can write any such header further down). A domain whose policy is `p=none` asks
    for nothing to be refused, and forwarding often breaks DMARC: that mail is read."""
    results = message.get_all("Authentication-Results", [])
    if not results:
        return False
    top = str(results[0])
    return bool(_DMARC_FAIL.search(top)) and not _DMARC_NONE.search(top)


def _is_spam(message: EmailMessage) -> bool:
    flag = str(message.get("X-Spam-Flag", "")).strip().lower()
    status = str(message.get("X-Spam-Status", "")).strip().lower()
    return flag == "yes" or status.startswith("yes")


def _ids(header: str) -> tuple[str, ...]:
    return tuple(_MSGID.findall(header))


def _first_id(header: str) -> str | None:
    found = _ids(header)
    return found[0] if found else None


def _is_automatic(message: EmailMessage) -> bool:
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto and auto != "no":
        return True
    if str(message.get("Precedence", "")).strip().lower() in _AUTO_PRECEDENCE:
        return True
    if any(message.get(h) is not None for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponder")):
        return True
    return str(message.get("Return-Path", "")).strip() == "<>"


def _is_bounce(message: EmailMessage, sender: str) -> bool:
    report = (
        message.get_content_type() == "multipart/report"
        and message.get_param("report-type") == "delivery-status"
    )
    return report or bool(_BOUNCE_SENDERS.match(sender))


def _bounced_ids(message: EmailMessage) -> tuple[str, ...]:
    found: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            payload = part.get_payload()
            text = payload[0].as_string() if isinstance(payload, list) and payload else str(payload)
            for line in text.splitlines():
                if line.lower().startswith("message-id:"):
                    found += _MSGID.findall(line)
    return tuple(dict.fromkeys(found + list(_ids(str(message.get("References", ""))))))


def _decoded(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):
        # A charset Python does not know, or one that lies: Windows-1252 is the usual truth.
        content = part.get_payload(decode=True).decode("cp1252", errors="replace")
    return content if isinstance(content, str) else content.decode("utf-8", errors="replace")


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _decoded(part)
    return html_to_text(text) if part.get_content_type() == "text/html" else text


def _attachments(message: EmailMessage) -> tuple[Part, ...]:
    found = []
    for part in message.iter_attachments():
        data = part.get_payload(decode=True)
        if data:
            found.append(Part(part.get_filename() or "adjunto", data))
    return tuple(found)


def new_text(body: str) -> str:
    """What the supplier wrote now, without the history their client quoted or their
    signature: above the quote when they answered on top; below it, or between its lines,
    when they answered under the question."""
    lines = body.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    at = 0
    while at < len(lines):
        line = lines[at]
        attribution = _attribution_at(lines, at)
        if attribution:
            if any(k.strip() for k in kept):
                break  # answered on top: the rest is history
            at += attribution  # answered below: skip the attribution and read on
            continue
        if any(p.match(line) for p in _HISTORY_STARTS):
            break
        if _SIGNATURE.match(line.strip()) or line == "-- ":
            break
        if not line.startswith(">"):
            kept.append(line.rstrip())
        at += 1
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _attribution_at(lines: list[str], at: int) -> int:
    """How many lines (1–3) the attribution starting at `at` takes; 0 when none starts there."""
    if not _ATTRIBUTION_START.match(lines[at]):
        return 0
    for size in (1, 2, 3):
        joined = " ".join(part.strip() for part in lines[at : at + size])
        if _ATTRIBUTION.match(joined):
            return size
    return 0


class _Text(HTMLParser):
    BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table", "hr"}
    )
    CELLS = frozenset({"td", "th"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._links: list[tuple[str, int]] = []  # open <a>: its address, where its text starts
        self._quoted = 0  # inside how many blockquotes: their lines are history, marked «> »

    def _line(self) -> None:
        self.parts.append("\n> " if self._quoted else "\n")

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag == "blockquote":
            self._quoted += 1
            self._line()
        elif tag in self.BLOCKS:
            self._line()
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self._links.append((href, len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1
        elif tag == "blockquote" and self._quoted:
            self._quoted -= 1
            self._line()
        elif tag in self.BLOCKS:
            self._line()
        elif tag in self.CELLS:
            self.parts.append(" | ")  # cells stay apart: «A-123 | $17,852.75»
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            shown = "".join(self.parts[start:]).strip()
            address = href.removeprefix("mailto:")
            # The address a supplier pasted is what the technician needs, not just its words.
            if href.startswith(("http://", "https://", "mailto:")) and address not in shown:
                self.parts.append(f" ({address})" if shown else address)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    lines = [" ".join(line.split()).strip(" |") for line in "".join(parser.parts).split("\n")]
    # Every block ends a line; the empty lines blocks leave between them say nothing.
    return "\n".join(line for line in lines if line).strip()
