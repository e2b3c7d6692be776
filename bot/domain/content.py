"""What an uploaded file is, by its content and never its name, and the name it is shown by.
Pure: bytes in, a verdict out."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

XML = "application/xml"
# Accepted kind → the extensions its name may have; the first is the one a stored file gets.
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "application/xml": (".xml",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "text/plain": (".txt", ".log", ".csv"),
}
ACCEPTED_LABEL = "PDF, XML, PNG, JPEG, GIF o texto"
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Controls, zero-width characters, lone surrogates (bytes that were not UTF-8) and the
# bidirectional overrides that make "factura‮fdp.exe" read as a PDF.
_NAME_UNSAFE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]"
)
MAX_NAME = 120


@dataclass(frozen=True)
class Verdict:
    content_type: str | None
    problem: str | None = None  # Spanish, for the supplier, when content_type is None


def inspect(data: bytes) -> Verdict:
    """Which accepted kind `data` is, judged by content alone."""
    if not data:
        return Verdict(None, "el archivo está vacío")
    if data.startswith(b"%PDF-"):
        return Verdict("application/pdf")
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return Verdict("image/png")
    if data.startswith(b"\xff\xd8\xff"):
        return Verdict("image/jpeg")
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return Verdict("image/gif")
    text_start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text_start.startswith(b"<"):
        return _inspect_xml(data)
    if _is_text(data):
        return Verdict("text/plain")
    return Verdict(None, f"tipo de archivo no permitido (se aceptan {ACCEPTED_LABEL})")


# XML a browser would run or render as a page, wherever it stands in the document (a `<script>`
# in the XHTML namespace runs inside any XML): refused, like a stylesheet instruction.
_ACTIVE_NAMESPACES = {
    "http://www.w3.org/1999/xhtml": "contiene HTML",
    "http://www.w3.org/2000/svg": "contiene una imagen SVG",
    "http://www.w3.org/1999/XSL/Transform": "contiene una hoja XSL",
    "http://www.w3.org/1998/Math/MathML": "contiene MathML",
}
_STYLESHEET = re.compile(rb"<\?xml-stylesheet", re.IGNORECASE)


def _inspect_xml(data: bytes) -> Verdict:
    try:
        # defusedxml refuses entity expansion and external references (billion laughs, XXE).
        root = defusedxml.ElementTree.fromstring(data)
    except DefusedXmlException:
        return Verdict(None, "el XML contiene entidades o referencias externas no permitidas")
    except (ParseError, ValueError):
        return Verdict(None, "el XML está mal formado")
    if _STYLESHEET.search(data):
        return Verdict(None, "el XML pide una hoja de estilo externa, que no se permite")
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        namespace = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
        local = tag.rsplit("}", 1)[-1].lower()
        if namespace in _ACTIVE_NAMESPACES:
            return Verdict(None, f"el XML {_ACTIVE_NAMESPACES[namespace]}, que no se permite")
        if local in ("svg", "html"):
            return Verdict(
                None, f"el XML es una página o imagen ({local.upper()}), que no se permite"
            )
    return Verdict("application/xml")


def _is_text(data: bytes) -> bool:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not _TEXT_CONTROLS.search(text)
    return False


def display_name(original: str | None) -> str:
    """The supplier's file name, safe to show anywhere: no path, no controls, bounded."""
    name = (original or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = _NAME_UNSAFE.sub("", name)
    name = " ".join(name.split()).lstrip(".")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_NAME]
    return name or "archivo"
