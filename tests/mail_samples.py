"""Replies as suppliers' mail clients really send them to our confirmation (structure, headers
and quoting as Gmail, Outlook and Apple Mail write them in Spanish): what the desk must read
the supplier's new words from."""

from __future__ import annotations

THREAD = "<hd-12.creado.5f2c@portalhib2b.com>"

# Gmail, answered on top; its attribution is long, so Gmail wraps it over two lines.
GMAIL_WRAPPED = f"""\
Return-Path: <xime.proveedora@gmail.com>
MIME-Version: 1.0
Date: Mon, 30 Nov 2026 10:14:07 -0600
References: {THREAD}
In-Reply-To: {THREAD}
Message-ID: <CAF3x9Q1vJ0=mZ+4yq2k@mail.gmail.com>
Subject: Re: [HD-12] Ticket generado: Olvidé mi Contraseña
From: Ximena Proveedora <xime.proveedora@gmail.com>
To: Soporte HIB2B <soporte@portalhib2b.com>
Content-Type: multipart/alternative; boundary="000000000000a1b2c3"

--000000000000a1b2c3
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Ya pude entrar, muchas gracias.

El lun, 30 nov 2026 a las 10:02, Soporte HIB2B <
soporte@portalhib2b.com> escribi=C3=B3:

> Estimado xime1805,
>
> Le informamos que el ticket HD-12 ha sido generado, un t=C3=A9cnico ser=C3=
=A1
> asignado a su caso.
>

--000000000000a1b2c3
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Ya pude entrar, muchas gracias.</div><br><div class=3D"gmail=
_quote"><div dir=3D"ltr" class=3D"gmail_attr">El lun, 30 nov 2026 a las 10:02=
, Soporte HIB2B (&lt;<a href=3D"mailto:soporte@portalhib2b.com">soporte@porta=
lhib2b.com</a>&gt;) escribi=C3=B3:<br></div><blockquote class=3D"gmail_quote"=
 style=3D"margin:0px 0px 0px 0.8ex">Estimado xime1805,<br>Le informamos que e=
l ticket HD-12 ha sido generado.</blockquote></div>

--000000000000a1b2c3--
"""

# Apple Mail, answered under the question (the technician asked for the XML).
APPLE_BELOW = f"""\
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
Subject: Re: [HD-12] Respuesta a su ticket
From: Ximena Proveedora <xime.proveedora@icloud.com>
In-Reply-To: {THREAD}
Date: Mon, 30 Nov 2026 11:40:22 -0600
References: {THREAD}
To: Soporte HIB2B <soporte@portalhib2b.com>
Message-Id: <8E1A2B3C-4D5E-6F70-8192-A3B4C5D6E7F8@icloud.com>
X-Mailer: Apple Mail (2.3774.600.62)



> El 30 nov 2026, a las 10:55, Soporte HIB2B <soporte@portalhib2b.com> escri=
bi=C3=B3:
>=20
> =C2=BFPodr=C3=ADa enviarnos el XML de la factura A-123?
>=20

Claro, va adjunto. Es la factura A-123 por $17,852.75.

Saludos
"""

# Outlook (HTML only): a table of invoices and a link, above Outlook's quoted history.
OUTLOOK_HTML = f"""\
From: =?iso-8859-1?Q?Jos=E9_Mart=EDnez?= <jmartinez@aceros-del-norte.com.mx>
To: Soporte HIB2B <soporte@portalhib2b.com>
Subject: RE: [HD-12] Respuesta a su ticket
Thread-Topic: [HD-12] Respuesta a su ticket
Thread-Index: AQHbQ2Vt1Zx3cE6Xk0a8bQ==
Date: Mon, 30 Nov 2026 18:20:31 +0000
Message-ID: <SA1PR12MB5678ABCDEF0123456789@SA1PR12MB5678.namprd12.prod.outlook.com>
References: {THREAD}
In-Reply-To: {THREAD}
Content-Language: es-MX
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable
MIME-Version: 1.0

<html><head><meta http-equiv=3D"Content-Type" content=3D"text/html; charset=
=3Diso-8859-1"><style type=3D"text/css">P {{margin:0}}</style></head>
<body><div>Estas son las facturas que no cargan:</div>
<table border=3D"1"><tr><th>Factura</th><th>Importe</th></tr>
<tr><td>A-123</td><td>$17,852.75</td></tr>
<tr><td>A-124</td><td>$2,300.00</td></tr></table>
<div>El error aparece aqu=ED: <a href=3D"https://acme.portalhib2b.com/facturas/carga?id=
=3DA-123">p=E1gina de carga</a></div>
<div>Saludos,<br>Jos=E9</div>
<hr style=3D"display:inline-block;width:98%" tabindex=3D"-1">
<div id=3D"divRplyFwdMsg" dir=3D"ltr"><b>De:</b> Soporte HIB2B &lt;soporte@p=
ortalhib2b.com&gt;<br><b>Enviado:</b> lunes, 30 de noviembre de 2026 10:55<br=
><b>Para:</b> Jos=E9 Mart=EDnez<br><b>Asunto:</b> [HD-12] Respuesta a su tick=
et</div><div>Estimado proveedor, =BFpodr=EDa enviarnos el XML?</div>
</body></html>
"""
