"""Inbound adapters: the web form and the Slack listeners. Thin: parse, call bot, render."""
