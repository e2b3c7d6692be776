"""The support mailbox as a way in: read over IMAP, each message handed to the desk."""
