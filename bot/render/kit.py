"""Block Kit as plain dicts, for what is rendered on every request or delivery (the card, its
thread, reminders): building `slack_sdk.models` objects and validating them cost ~2.5 ms a
card, most of `/hib2b ver`. The shapes are exactly what those models produce; the tests parse
every rendered block back with `slack_sdk.models` and compare (golden files), and the callers
keep each text within Slack's limits themselves (`shorten`, pieces)."""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]


def plain(text: str, emoji: bool = True) -> Block:
    return {"type": "plain_text", "text": text, "emoji": emoji}


def mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text[:150], emoji=False)}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def fields(texts: list[str]) -> Block:
    return {"type": "section", "fields": [mrkdwn(text) for text in texts]}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def rich_text(parts: list[Block]) -> Block:
    return {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": parts}]}


def text_part(text: str, bold: bool = False) -> Block:
    part: Block = {"type": "text", "text": text}
    if bold:
        part["style"] = {"bold": True}
    return part


def option(label: str, value: str) -> Block:
    return {"text": plain(label), "value": value}


def button(label: str, action_id: str, value: str, primary: bool = False) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(label),
        "action_id": action_id,
        "value": value,
    }
    if primary:
        element["style"] = "primary"
    return element


def static_select(
    action_id: str, placeholder: str, options: list[Block], initial: Block | None = None
) -> Block:
    element: Block = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(placeholder),
        "options": options,
    }
    if initial is not None:
        element["initial_option"] = initial
    return element


def overflow(action_id: str, options: list[Block]) -> Block:
    return {"type": "overflow", "action_id": action_id, "options": options}


def actions(block_id: str, elements: list[Block]) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": elements}
