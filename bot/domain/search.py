"""What a technician types into `/hib2b buscar` as a full-text query: each word's letters and
digits as a phrase (an address, an RFC or a UUID is one phrase of its pieces), all of them
required, the last one also as a prefix (search while typing). Pure; never query syntax from
the user (a stray quote or `NEAR(` is just text)."""

from __future__ import annotations

import re
import unicodedata

from bot.domain.terms import parse_ticket_code

_PIECES = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12  # a pasted paragraph is not a query


def phrases(text: str) -> list[list[str]]:
    """What `text` looks for: each word as the phrase of its pieces, all required, the last
    one also as a prefix; empty when it has nothing to look for. The store spells it in its
    engine's syntax."""
    found = []
    # Composed first: «é» typed as «e» + accent would otherwise split the word in two.
    for word in unicodedata.normalize("NFC", text).split()[:MAX_WORDS]:
        pieces = _PIECES.findall(word.replace("_", " "))
        if pieces:
            found.append(pieces)
    return found


def ticket_named(text: str) -> int | None:
    """`HD-12` or `12` alone: that ticket, shown first."""
    words = text.split()
    return parse_ticket_code(words[0]) if len(words) == 1 else None
