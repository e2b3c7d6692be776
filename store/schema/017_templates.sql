-- Canned replies (`/hib2b plantilla`), seeded with answers to the manual's six incident types.
-- {usuario}, {ticket}, {tecnico}, {portal} and {primer_contacto} are filled when sent.
CREATE TABLE templates (
    name      TEXT PRIMARY KEY,
    text      TEXT NOT NULL,
    added_by  TEXT NOT NULL,
    added_at  TEXT NOT NULL
);

INSERT INTO templates (name, text, added_by, added_at) VALUES
('alta-usuario',
'Hola, {usuario}:

Gracias por su solicitud ({ticket}). Para dar de alta al nuevo usuario en {portal} necesitamos, de la persona que lo usará: nombre completo, correo electrónico y el RFC de la empresa. Con esos datos creamos el acceso y le llegará un correo para definir su contraseña.

Quedamos atentos.
{tecnico}
Soporte HIB2B', 'sistema', '2026-12-01T00:00:00.000000+00:00'),
('contrasena',
'Hola, {usuario}:

Restablecimos el acceso de su usuario ({ticket}). En unos minutos recibirá un correo con una liga para crear una contraseña nueva; la liga vale por 24 horas. Si no lo ve en su bandeja de entrada, revise la carpeta de correo no deseado.

Después entre a {portal} con su usuario y la contraseña nueva. Si algo no funciona, responda a este correo y lo revisamos.

{tecnico}
Soporte HIB2B', 'sistema', '2026-12-01T00:00:00.000000+00:00'),
('cargar-factura',
'Hola, {usuario}:

Para cargar su factura en {portal}:
1. Entre con su usuario y contraseña.
2. Elija «Facturas» y luego «Cargar factura».
3. Adjunte el XML y el PDF del mismo CFDI (deben corresponder al mismo folio fiscal).
4. Si su cliente lo pide, indique el número de pedido u orden de compra.
5. Presione «Enviar» y espere el mensaje de confirmación.

Si el portal muestra algún mensaje de error, responda a este correo con una captura de pantalla y el XML, y lo revisamos ({ticket}).

{tecnico}
Soporte HIB2B', 'sistema', '2026-12-01T00:00:00.000000+00:00'),
('error-factura',
'Hola, {usuario}:

Revisamos el error al cargar su factura ({ticket}). Las causas más comunes son:
• El RFC del receptor no es el de la empresa a la que factura.
• El XML se modificó después de timbrarlo (el sello ya no coincide).
• El XML y el PDF no son del mismo folio fiscal.
• El CFDI está cancelado o es de una versión que el portal ya no acepta.

Por favor verifique estos puntos con quien emite sus facturas. Si todo está correcto, responda a este correo con el XML y el PDF adjuntos y el texto exacto del error, y lo revisamos de inmediato.

{tecnico}
Soporte HIB2B', 'sistema', '2026-12-01T00:00:00.000000+00:00'),
('conectividad',
'Hola, {usuario}:

Recibimos su reporte de conexión ({ticket}). Estamos revisando el servicio de {portal}. Mientras tanto, le pedimos intentar:
• Entrar desde otro navegador (Chrome, Edge o Firefox) o en una ventana privada.
• Entrar desde otra red, por ejemplo los datos de su celular.

Si el portal abre desde otra red, es posible que la red de su oficina lo esté bloqueando; su área de sistemas puede revisarlo. Le avisaremos en cuanto tengamos novedades.

{tecnico}
Soporte HIB2B', 'sistema', '2026-12-01T00:00:00.000000+00:00'),
('no-lo-se',
'Hola, {usuario}:

Gracias por contactarnos ({ticket}). Para ayudarle mejor, ¿podría contarnos qué intentaba hacer en {portal}, qué mensaje le apareció y, si es posible, enviarnos una captura de pantalla? Con eso identificamos el problema y le damos la solución.

{tecnico}
Soporte HIB2B', 'sistema', '2026-12-01T00:00:00.000000+00:00');
