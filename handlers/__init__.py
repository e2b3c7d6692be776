"""Inbound adapters: Slack listeners, the web pages and the API, the support mailbox, the
command line. Thin: parse the input, call the desk's facade (`bot.desk`), render the answer."""
