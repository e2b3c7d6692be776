"""Typed keys of the web application: the desk's facade, the Bolt app and the work it does
after its acks."""

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.desk import Desk
from handlers.slack.after import AfterAck

DESK = web.AppKey("desk", Desk)
BOLT = web.AppKey("bolt", AsyncApp)
AFTER_ACK = web.AppKey("after_ack", AfterAck)
