"""Real servers on loopback playing the parts we do not own: Slack's Web API, an SMTP server."""
