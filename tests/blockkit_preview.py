"""A card's Block Kit drawn as a page, close to how Slack shows it, so Chromium can photograph
it for the README. Only what our cards use: header, sections (text, fields, a button beside),
rich text, context and buttons; mrkdwn's bold, code, links, dates and our few emoji."""

from __future__ import annotations

import html
import re
from typing import Any

# Text symbols that DejaVu draws (the machine has no colour emoji font).
EMOJI = {
    ":warning:": "⚠",
    ":white_check_mark:": "✔",
    ":twisted_rightwards_arrows:": "⇄",
    ":mag:": "⌕",
    "✅": "✔",
    "⚠️": "⚠",
}
STYLE = """
body { font: 15px/1.46 -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1d1c1d;
       margin: 0; background: #fff; }
.message { display: flex; gap: 10px; padding: 14px 20px; max-width: 820px; }
.avatar { width: 36px; height: 36px; border-radius: 6px; background: #4a154b; color: #fff;
          font-weight: 700; display: flex; align-items: center; justify-content: center; }
.who { font-weight: 900; } .app { font-size: 11px; background: #eee; padding: 0 4px;
       border-radius: 3px; margin-left: 4px; color: #616061; }
h1 { font-size: 18px; margin: 6px 0 8px; }
.section { margin: 6px 0; white-space: pre-wrap; display: flex; justify-content: space-between;
           gap: 12px; align-items: flex-start; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 6px 20px; margin: 6px 0; }
.context { color: #616061; font-size: 13px; margin: 6px 0; white-space: pre-wrap; }
.rich { margin: 4px 0; white-space: pre-wrap; }
code { color: #c01343; background: #f6f6f6; border: 1px solid #ddd; border-radius: 3px;
       padding: 0 3px; font-size: 12px; }
.actions { display: flex; gap: 8px; margin: 10px 0 4px; flex-wrap: wrap; }
button { font: inherit; font-size: 13px; font-weight: 700; padding: 4px 12px; border-radius: 4px;
         border: 1px solid #bbb; background: #fff; white-space: nowrap; }
button.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
"""


def mrkdwn(text: str) -> str:
    """Slack's mrkdwn as HTML: escapes first (Slack's own `&lt;` stay entities), then marks."""
    shown = html.escape(html.unescape(re.sub(r"<!date\^\d+\^[^|]*\|([^>]*)>", r"\1", text)))
    shown = re.sub(r"&lt;(https?://[^|&]+)\|([^&]+)&gt;", r'<a href="\1">\2</a>', shown)
    shown = re.sub(r"&lt;@(\w+)&gt;", r"@\1", shown)
    shown = re.sub(r"`([^`]+)`", r"<code>\1</code>", shown)
    shown = re.sub(r"\*([^*\n]+)\*", r"<b>\1</b>", shown)
    shown = re.sub(r"(?<!\w)_([^_\n]+)_(?!\w)", r"<i>\1</i>", shown)
    for code, symbol in EMOJI.items():
        shown = shown.replace(code, symbol)
    return shown


def _element(element: dict[str, Any]) -> str:
    if element.get("type") == "button":
        style = ' class="primary"' if element.get("style") == "primary" else ""
        return f"<button{style}>{html.escape(element['text']['text'])}</button>"
    if element.get("type") == "static_select":
        return f"<button>{html.escape(element['placeholder']['text'])} ▾</button>"
    return "<button>⋮</button>"


def _block(block: dict[str, Any]) -> str:
    kind = block["type"]
    if kind == "header":
        return f"<h1>{html.escape(block['text']['text'])}</h1>"
    if kind == "section" and "fields" in block:
        cells = "".join(f"<div>{mrkdwn(field['text'])}</div>" for field in block["fields"])
        return f'<div class="fields">{cells}</div>'
    if kind == "section":
        beside = _element(block["accessory"]) if "accessory" in block else ""
        return f'<div class="section"><div>{mrkdwn(block["text"]["text"])}</div>{beside}</div>'
    if kind == "context":
        return f'<div class="context">{mrkdwn(block["elements"][0]["text"])}</div>'
    if kind == "rich_text":
        parts = block["elements"][0]["elements"]
        text = "".join(
            f"<b>{html.escape(p['text'])}</b>"
            if (p.get("style") or {}).get("bold")
            else html.escape(p["text"])
            for p in parts
        )
        for code, symbol in EMOJI.items():
            text = text.replace(code, symbol)
        return f'<div class="rich">{text}</div>'
    if kind == "actions":
        return f'<div class="actions">{"".join(map(_element, block["elements"]))}</div>'
    return ""


def page(blocks: list[dict[str, Any]], app: str = "HiB2B Mesa de Ayuda") -> str:
    body = "".join(_block(block) for block in blocks)
    return (
        f"<!doctype html><html lang=es><meta charset=utf-8><style>{STYLE}</style>"
        f'<div class="message"><div class="avatar">H</div><div><span class="who">{app}</span>'
        f'<span class="app">APP</span>{body}</div></div></html>'
    )
