"""Invoices (CFDI) in attachments: read offline, in a bounded child process."""
