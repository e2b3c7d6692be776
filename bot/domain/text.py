"""Making supplier text safe for where it goes: Slack mrkdwn, email headers. Pure."""

from __future__ import annotations

import re
import unicodedata

MIB = 1024 * 1024
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


def is_number(text: str, max_digits: int = 18) -> bool:
    """ASCII digits only: `str.isdigit` also says yes to «²» or «٣», which `int` then refuses
    or reads as something the sender did not type."""
    return 0 < len(text) <= max_digits and text.isascii() and text.isdigit()


def fold(word: str) -> str:
    """Lower case without accents: how typed words are compared («Críticó» is «critico»)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slack_escape(text: str) -> str:
    """Slack's three control characters, so `<!channel>` or `<https://x|y>` show literally."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def header_safe(text: str) -> str:
    """One line for an email header: CR, LF and other controls become a space."""
    return " ".join(_HEADER_UNSAFE.sub(" ", text).split())


def shorten(text: str, limit: int, marker: str = "…") -> tuple[str, bool]:
    """`text` cut to at most `limit` characters at a word boundary; and whether it was cut."""
    if len(text) <= limit:
        return text, False
    cut = text[: limit - len(marker)]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + marker, True


def filled_chunks(text: str, size: int) -> list[str]:
    """`text` in pieces of at most `size` characters, each nearly full (cut at a space in its
    last tenth when there is one): joined again they are `text` exactly."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind(" ", size - size // 10, size)
        cut = size if cut <= 0 else cut + 1
        pieces.append(text[:cut])
        text = text[cut:]
    if text:
        pieces.append(text)
    return pieces


def chunks(text: str, size: int) -> list[str]:
    """`text` in pieces of at most `size` characters, split at line ends where possible."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        if cut < size // 2:
            cut = size
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text:
        pieces.append(text)
    return pieces


def normal_host(host: str) -> str:
    """`Acme.PortalHiB2B.com:443` → `acme.portalhib2b.com`."""
    return host.strip().lower().rsplit(":", 1)[0].rstrip(".")
