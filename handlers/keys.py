"""Typed keys of the web application: the desk's facade and the Bolt app."""

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.desk import Desk

DESK = web.AppKey("desk", Desk)
BOLT = web.AppKey("bolt", AsyncApp)
