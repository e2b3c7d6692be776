"""The one attachment policy, for every way a file comes in: the form, the portal's API, the
supplier's emails and the files a technician attaches in Slack.

A file is judged by its content (`content.inspect`), and its name must agree: a PDF is `.pdf`, a
text file `.txt`, `.log` or `.csv`, and so on. Anything else — a script, a page, an SVG, an
executable, HTML renamed `.pdf`, text renamed `.pdf` — is refused with its name and the reason,
so nothing a technician clicks in the channel can run. The name kept is the supplier's base name,
cleaned, with the extension of its type. Limits (count, size, total) are counted per batch, and
a file already in the batch (same SHA-256) is recognised before anything is written.

`Batch.consider` hashes and parses: call it in a thread, never on the event loop."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from bot.domain.content import ACCEPTED_LABEL, EXTENSIONS, display_name, inspect
from bot.domain.text import MIB

KIND_LABEL = {
    "application/pdf": "PDF",
    "application/xml": "XML",
    "image/png": "imagen PNG",
    "image/jpeg": "imagen JPEG",
    "image/gif": "imagen GIF",
    "text/plain": "texto",
}


@dataclass(frozen=True)
class Judged:
    name: str  # safe to show anywhere, with the extension of its type when accepted
    content_type: str | None  # None: refused
    problem: str = ""  # Spanish, why it was refused


def judge(filename: str | None, data: bytes) -> Judged:
    """Whether `data`, sent under `filename`, is accepted, and the name it is kept under."""
    name = display_name(filename)
    verdict = inspect(data)
    if verdict.content_type is None:
        return Judged(name, None, verdict.problem or "tipo de archivo no permitido")
    kind = verdict.content_type
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        return Judged(name + EXTENSIONS[kind][0], kind)
    suffix = "." + extension.lower()
    if suffix not in EXTENSIONS[kind]:
        return Judged(
            name,
            None,
            f"un archivo {suffix} no se acepta o no corresponde a su contenido "
            f"({KIND_LABEL[kind]}); se aceptan {ACCEPTED_LABEL}",
        )
    return Judged(stem + suffix, kind)


@dataclass(frozen=True)
class Limits:
    max_files: int
    max_file: int
    max_total: int


@dataclass
class IncomingFile:
    """A file as it arrived (the form, the API): `data` None when it was over a limit and so
    was drained rather than kept."""

    filename: str
    data: bytes | None
    size: int
    problem: str = ""  # "file" or "total": which limit it passed


@dataclass(frozen=True)
class Accepted:
    name: str
    content_type: str
    sha256: str
    data: bytes

    @property
    def suffix(self) -> str:
        """The extension its stored file gets."""
        return EXTENSIONS[self.content_type][0]


@dataclass(frozen=True)
class Rejected:
    name: str
    reason: str  # Spanish, completes «name» no se adjuntó: …

    def sentence(self, verb: str = "no se adjuntó") -> str:
        return f"«{self.name}» {verb}: {self.reason}."


@dataclass
class Batch:
    """The files of one submission (with those already kept for it, when it is shown again)."""

    limits: Limits
    count: int = 0
    total: int = 0
    hashes: set[str] = field(default_factory=set)

    def consider(
        self, filename: str | None, data: bytes | None, size: int, over: str = ""
    ) -> Accepted | Rejected | None:
        """Accepted (and counted), Rejected, or None for a file the batch already has.
        `data` None: it was not kept because of its size (`over`: "file" or "total")."""
        limits = self.limits
        if data is None:
            limit = (
                f"{limits.max_file // MIB} MB por archivo"
                if over == "file"
                else f"{limits.max_total // MIB} MB en total"
            )
            return Rejected(display_name(filename), f"supera el máximo de {limit}")
        digest = hashlib.sha256(data).hexdigest()
        if digest in self.hashes:
            return None
        if self.count >= limits.max_files:
            reason = f"se permiten hasta {limits.max_files} archivos"
            return Rejected(display_name(filename), reason)
        if size > limits.max_file:
            reason = f"supera el máximo de {limits.max_file // MIB} MB por archivo"
            return Rejected(display_name(filename), reason)
        if self.total + size > limits.max_total:
            reason = f"supera el máximo de {limits.max_total // MIB} MB en total"
            return Rejected(display_name(filename), reason)
        judged = judge(filename, data)
        if judged.content_type is None:
            return Rejected(judged.name, judged.problem)
        self.hashes.add(digest)
        self.count += 1
        self.total += size
        return Accepted(judged.name, judged.content_type, digest, data)
