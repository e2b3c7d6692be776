"""The one attachment policy, as a pure rule: what is accepted, under which name, and why the
rest is refused."""

from __future__ import annotations

import pytest

from bot.domain.attachments import Accepted, Batch, Limits, Rejected, judge
from tests import samples

CFDI = samples.CFDI.encode() if isinstance(samples.CFDI, str) else samples.CFDI


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("arreglo.bat", b"@echo off\r\ndel C:\\\\", "un archivo .bat"),
        ("script.ps1", b"Remove-Item -Recurse C:\\\\", "un archivo .ps1"),
        ("factura.js", b"WScript.Shell.Run('calc')", "un archivo .js"),
        ("app.hta", b"<html><script>x()</script></html>", "página o imagen"),
        ("pagina.html", b"<html><body>hola</body></html>", "página o imagen"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "imagen SVG"),
        ("factura.pdf", b"<html><body>no soy un PDF</body></html>", "página o imagen"),
        ("factura.pdf", b"Solo texto que dice ser PDF", "un archivo .pdf"),
        (
            "factura.xml",
            b'<r><script xmlns="http://www.w3.org/1999/xhtml">x()</script></r>',
            "contiene HTML",
        ),
        (
            "factura.xml",
            b'<r><svg xmlns="http://www.w3.org/2000/svg" onload="x()"/></r>',
            "imagen SVG",
        ),
        (
            "factura.xml",
            b'<?xml-stylesheet href="https://evil.example/x.xsl"?><r/>',
            "hoja de estilo",
        ),
        ("programa.exe", samples.EXE, "tipo de archivo no permitido"),
        ("foto.png", samples.PDF, "un archivo .png"),
    ],
)
def test_dangerous_or_disguised_files_are_refused_with_the_reason(
    name: str, data: bytes, reason: str
) -> None:
    judged = judge(name, data)
    assert judged.content_type is None and reason in judged.problem, judged


@pytest.mark.parametrize(
    ("name", "data", "kept_as", "kind"),
    [
        ("Factura Enero.PDF", samples.PDF, "Factura Enero.pdf", "application/pdf"),
        ("cfdi.xml", CFDI, "cfdi.xml", "application/xml"),
        ("captura.JPEG", samples.JPEG, "captura.jpeg", "image/jpeg"),
        ("error.log", b"ERROR 500 al timbrar", "error.log", "text/plain"),
        ("datos.csv", b"rfc,total\nXAXX010101000,10.00\n", "datos.csv", "text/plain"),
        ("sin extension", samples.PDF, "sin extension.pdf", "application/pdf"),
        ("../../etc/fac\u202etura.gif", samples.GIF, "factura.gif", "image/gif"),
        (None, samples.png(), "archivo.png", "image/png"),
    ],
)
def test_accepted_files_keep_a_clean_name_with_their_types_extension(
    name: str | None, data: bytes, kept_as: str, kind: str
) -> None:
    assert judge(name, data) == judge(name, data)
    judged = judge(name, data)
    assert (judged.name, judged.content_type) == (kept_as, kind)


def test_a_batch_counts_limits_and_recognises_the_same_file() -> None:
    batch = Batch(Limits(max_files=2, max_file=1000, max_total=1500))
    first = batch.consider("a.pdf", samples.PDF, len(samples.PDF))
    assert isinstance(first, Accepted) and first.name == "a.pdf"
    assert batch.consider("copia.pdf", samples.PDF, len(samples.PDF)) is None  # same bytes
    big = batch.consider("grande.pdf", None, 10_000, over="file")
    assert isinstance(big, Rejected) and big.sentence() == (
        "«grande.pdf» no se adjuntó: supera el máximo de 0 MB por archivo."  # MB, rounded down
    )
    second = batch.consider("b.txt", b"texto", 5)
    assert isinstance(second, Accepted)
    third = batch.consider("c.txt", b"otro texto", 10)
    assert isinstance(third, Rejected) and "hasta 2 archivos" in third.reason
