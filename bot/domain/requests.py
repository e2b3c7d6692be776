"""What a technician or lead asks of the desk, typed: one class per request.

Every way in builds these directly: a card's button or menu (`bot.domain.controls`), a submitted
modal (the same table), a `/hib2b` line (`bot.commands.parse`) and the command line (which
speaks `/hib2b`). The desk answers each from one dispatch table (`bot.commands.dispatch`), so a
click is never turned into text to be parsed again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum

from bot.domain.attachments import Accepted
from bot.domain.terms import Severity


class Form(StrEnum):
    """A modal a request can ask Slack to open; the value is its `callback_id`."""

    REPLY = "hib2b_responder"
    NOTE = "hib2b_nota"
    CALL = "hib2b_llamada"
    CLOSE = "hib2b_cerrar"
    REOPEN = "hib2b_reabrir"
    ASSIGN = "hib2b_reasignar"
    NEW = "hib2b_nuevo"


class Listing(StrEnum):
    OPEN = "abiertos"
    MINE = "mios"
    UNASSIGNED = "sin-asignar"
    BREACHED = "vencidos"


@dataclass(frozen=True)
class Help:
    unknown: str = ""  # the word that was not a sub-command, if that is why


@dataclass(frozen=True)
class Show:
    number: int


@dataclass(frozen=True)
class ListTickets:
    which: Listing = Listing.OPEN
    client: str | None = None


@dataclass(frozen=True)
class SlaStatus:
    number: int | None = None  # one ticket explained
    client: str | None = None
    publish: bool = False  # posted in the support channel (leads)


@dataclass(frozen=True)
class OpenForm:
    """Open a modal about a ticket (Slack); elsewhere, say what to type instead."""

    form: Form
    number: int = 0  # 0: the modal is about no ticket yet (`nuevo`)


@dataclass(frozen=True)
class Claim:
    number: int
    target: str | None = None  # someone else (leads); None: the person asking
    target_name: str = ""


@dataclass(frozen=True)
class Release:
    number: int


@dataclass(frozen=True)
class Reply:
    number: int
    text: str  # with a template: written below it
    files: tuple[Accepted, ...] = ()
    template: str = ""  # a canned reply's name, filled for the ticket
    review: bool = False  # in Slack, open the reply modal filled with it instead of sending


@dataclass(frozen=True)
class Note:
    number: int
    text: str


@dataclass(frozen=True)
class Call:
    number: int
    text: str
    at: time | None = None  # when it happened, today (business time zone); None: just now


@dataclass(frozen=True)
class SetSeverity:
    number: int
    severity: Severity
    reason: str = ""


@dataclass(frozen=True)
class Wait:
    number: int
    reason: str = ""


@dataclass(frozen=True)
class Resume:
    number: int


@dataclass(frozen=True)
class Close:
    number: int
    kind: str  # a CloseKind value; checked by the rule, which says what is wrong
    cause: str
    summary: str
    cause_text: str = ""
    duplicate_of: int | None = None
    only_if_open: bool = False  # the card's «Cerrar como duplicado»: the original must be open


@dataclass(frozen=True)
class Reopen:
    number: int
    reason: str


@dataclass(frozen=True)
class Accept:
    """A lead accepts a ticket of a client whose support is not current."""

    number: int


@dataclass(frozen=True)
class OpenTicket:
    """A ticket a technician opens for a supplier who phoned or wrote: the form's fields, plus
    `origen`, and optionally `cliente` and `severidad`."""

    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TeamList:
    pass


@dataclass(frozen=True)
class TeamAdd:
    user: str
    name: str
    role: str  # checked by the use case (tecnico, lider)


@dataclass(frozen=True)
class TeamRemove:
    user: str


@dataclass(frozen=True)
class ClientList:
    pass


@dataclass(frozen=True)
class ClientShow:
    key: str


@dataclass(frozen=True)
class ClientAdd:
    key: str
    hosts: tuple[str, ...]
    name: str


@dataclass(frozen=True)
class ClientStatus:
    key: str
    status: str  # vigente, suspendido


@dataclass(frozen=True)
class ClientPlan:
    key: str
    settings: tuple[str, ...]  # `clave=valor` words; checked by the use case


@dataclass(frozen=True)
class ClientRfcs:
    """`cliente rfc CLAVE RFC…`: whose invoices the client receives (`ninguno` clears them)."""

    key: str
    rfcs: tuple[str, ...]


@dataclass(frozen=True)
class Shift:
    """`turno entrar|salir|lista`: the round-robin assigns new tickets to those on shift."""

    action: str  # entrar, salir, lista


@dataclass(frozen=True)
class Merge:
    """`fusionar HD-A HD-B`: A closes into B."""

    source: int
    target: int


@dataclass(frozen=True)
class TemplateList:
    pass


@dataclass(frozen=True)
class TemplateShow:
    name: str


@dataclass(frozen=True)
class TemplateAdd:
    name: str
    text: str


@dataclass(frozen=True)
class TemplateRemove:
    name: str


@dataclass(frozen=True)
class Search:
    """`buscar TEXTO`: the tickets that best match, with their status (the team only)."""

    text: str


@dataclass(frozen=True)
class Span:
    """The days a lead named: `semana` or `mes` (ending the day it is asked), or two dates."""

    word: str = "semana"
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class AskReport:
    """A period's report with its chart: by DM to whoever asked, or in the support channel."""

    span: Span = Span()
    client: str | None = None
    publish: bool = False


@dataclass(frozen=True)
class AskExport:
    """The tracker sheet of the tickets received in a span, by DM (leads)."""

    span: Span = Span()
    client: str | None = None
    fmt: str = "xlsx"


Request = (
    Help
    | Show
    | ListTickets
    | SlaStatus
    | OpenForm
    | Claim
    | Release
    | Reply
    | Note
    | Call
    | SetSeverity
    | Wait
    | Resume
    | Close
    | Reopen
    | Accept
    | OpenTicket
    | TeamList
    | TeamAdd
    | TeamRemove
    | ClientList
    | ClientShow
    | ClientAdd
    | ClientStatus
    | ClientPlan
    | ClientRfcs
    | AskReport
    | AskExport
    | Search
    | Merge
    | Shift
    | TemplateList
    | TemplateShow
    | TemplateAdd
    | TemplateRemove
)

# Requests that show tickets (suppliers' names, addresses, descriptions): the team only.
READS_TICKETS = (Show, ListTickets, SlaStatus, AskReport, AskExport, Search)
