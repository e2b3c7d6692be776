"""A local HTTP server that answers like Slack's Web API (and its Socket Mode websocket).

It keeps a channel's messages and threads, records every call, and can be told to fail: HTTP
429 with Retry-After, 5xx, an API error such as `not_in_channel`, a stall, or being down.
Tests wait on it (`wait_for`) instead of asserting right after an HTTP response.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

# Slack refuses a message whose blocks carry more text than this in all (not documented; seen
# as `msg_blocks_too_long` at about 13,000 characters): the fake is as strict.
BLOCKS_TEXT_LIMIT = 13_000


def _block_text_length(node: Any) -> int:
    """Every `text` in the blocks: a rich text's pieces and a section's text object alike."""
    if isinstance(node, dict):
        own = len(node["text"]) if isinstance(node.get("text"), str) else 0
        return own + sum(
            _block_text_length(v)
            for k, v in node.items()
            if not (k == "text" and isinstance(v, str))
        )
    if isinstance(node, list):
        return sum(_block_text_length(v) for v in node)
    return 0


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float
    peer: Any = None  # the caller's (host, port): one per connection it opened


@dataclass
class Fault:
    method: str  # "*" for every method
    times: int
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    stall_s: float = 0.0  # answer only after this long (the caller may give up or be killed)
    after_effect: bool = False  # apply the call, then fail: "sent, but the answer was lost"


@dataclass
class FakeSlack:
    team_id: str = "T0TEST"
    bot_user: str = "UBOT"
    calls: list[Call] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    envelopes_acked: dict[str, dict[str, Any]] = field(default_factory=dict)
    homes: dict[str, dict[str, Any]] = field(default_factory=dict)  # user → published view
    refused_views: list[list[str]] = field(default_factory=list)  # what was wrong with each
    url: str = ""

    def __post_init__(self) -> None:
        self._changed = asyncio.Condition()
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self.socket_connected = asyncio.Event()

    # --- control -------------------------------------------------------------------------
    def fail(self, method: str, times: int = 1, **kwargs: Any) -> None:
        self.faults.append(Fault(method, times, **kwargs))

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def cards(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if not m.get("thread_ts")]

    def replies(self, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("thread_ts") == thread_ts]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
        return predicate()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- server --------------------------------------------------------------------------
    async def start(self, port: int = 0) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/files/{file_id}/{name}", self._download)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/"
        self._base = f"http://127.0.0.1:{port}"
        return self

    async def restart(self) -> None:
        """Down and up again on the same port, keeping what it holds: every connection to it
        is closed, as when Slack drops kept-alive connections."""
        port = int(self._base.rsplit(":", 1)[1])
        await self.stop()
        await self.start(port)

    async def stop(self) -> None:
        for socket in self._sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _arguments(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        return args

    def _fault_for(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method in (method, "*"):
                fault.times -= 1
                return fault
        return None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._arguments(request)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.calls.append(Call(method, args, time.monotonic(), peer))
        await self._notify()
        fault = self._fault_for(method)
        if fault is not None and not fault.after_effect:
            await asyncio.sleep(fault.stall_s)
            return self._failure(fault)
        posting = method in ("chat.postMessage", "chat.update", "chat.postEphemeral")
        if posting and _block_text_length(_json(args.get("blocks")) or []) > BLOCKS_TEXT_LIMIT:
            return web.json_response({"ok": False, "error": "msg_blocks_too_long"})
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        body = handler(args) if handler else {"ok": True}
        await self._notify()
        if fault is not None:
            await asyncio.sleep(fault.stall_s)
            return self._failure(fault)
        return web.json_response(body)

    def _failure(self, fault: Fault) -> web.Response:
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        if fault.status == 429:
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers=headers
            )
        if fault.status >= 500:
            return web.Response(
                status=fault.status,
                text="<html>upstream error</html>",
                content_type="text/html",
                headers=headers,
            )
        return web.json_response(
            {"ok": False, "error": fault.error or "fatal_error"}, headers=headers
        )

    def _next_ts(self) -> str:
        return f"{1_800_000_000 + next(self._ts)}.000100"

    # --- methods -------------------------------------------------------------------------
    def _m_auth_test(self, args: dict) -> dict:
        return {
            "ok": True,
            "team_id": self.team_id,
            "user_id": self.bot_user,
            "bot_id": "BBOT",
            "team": "Test",
            "user": "hib2b",
            "url": "https://test.slack.com/",
        }

    def _m_chat_postMessage(self, args: dict) -> dict:
        message = {
            "ts": self._next_ts(),
            "channel": args.get("channel"),
            "text": args.get("text"),
            "blocks": _json(args.get("blocks")),
            "metadata": _json(args.get("metadata")),
            "thread_ts": args.get("thread_ts"),
            "reply_broadcast": args.get("reply_broadcast"),
        }
        self.messages.append(message)
        return {"ok": True, "channel": message["channel"], "ts": message["ts"], "message": message}

    def _m_chat_postEphemeral(self, args: dict) -> dict:
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_conversations_history(self, args: dict) -> dict:
        oldest = float(args.get("oldest", 0) or 0)
        found = [m for m in reversed(self.cards()) if float(m["ts"]) >= oldest]
        return {"ok": True, "messages": [_visible(m, args) for m in found], "has_more": False}

    def _m_conversations_replies(self, args: dict) -> dict:
        parent = [m for m in self.messages if m["ts"] == args.get("ts")]
        found = parent + self.replies(str(args.get("ts")))
        return {"ok": True, "messages": [_visible(m, args) for m in found], "has_more": False}

    def _m_files_getUploadURLExternal(self, args: dict) -> dict:
        file_id = f"F{len(self.files) + 1:06d}"
        self.files[file_id] = {
            "id": file_id,
            "name": args.get("filename"),
            "length": int(args.get("length", 0)),
            "data": None,
            "shares": {},
        }
        return {"ok": True, "file_id": file_id, "upload_url": f"{self._base}/upload/{file_id}"}

    def _m_files_completeUploadExternal(self, args: dict) -> dict:
        shared = []
        for item in _json(args.get("files")) or []:
            file = self.files.get(item["id"])
            if file is None or file["data"] is None:
                return {"ok": False, "error": "file_not_found"}
            file["title"] = item.get("title")
            channel = str(args.get("channel_id"))
            kind = "private" if channel.startswith("D") else "public"
            file["shares"] = {kind: {channel: [{"ts": self._next_ts()}]}}
            file["thread_ts"] = args.get("thread_ts")
            file["channel"] = channel
            file["initial_comment"] = args.get("initial_comment")
            shared.append({"id": file["id"], "title": file["title"]})
        return {"ok": True, "files": shared}

    def _m_files_info(self, args: dict) -> dict:
        file = self.files.get(str(args.get("file")))
        if file is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": {k: v for k, v in file.items() if k != "data"}}

    def _m_views_publish(self, args: dict) -> dict:
        view = _json(args.get("view"))
        problems = view_problems(view)
        if problems:
            self.refused_views.append(problems)
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": problems},
            }
        self.homes[str(args.get("user_id"))] = view
        return {"ok": True, "view": {"id": "V" + str(args.get("user_id")), **view}}

    def _m_conversations_open(self, args: dict) -> dict:
        users = str(args.get("users", ""))
        if not users or "," in users:
            return {"ok": False, "error": "users_list_not_supplied"}
        return {"ok": True, "channel": {"id": "D" + users.lstrip("UW")}}

    def shared_to(self, channel: str) -> list[dict[str, Any]]:
        """Files shared (upload completed) in `channel` (a D… id for a DM)."""
        return [f for f in self.files.values() if f.get("channel") == channel]

    def _m_apps_connections_open(self, args: dict) -> dict:
        return {"ok": True, "url": self._base.replace("http://", "ws://") + "/socket"}

    async def _upload(self, request: web.Request) -> web.Response:
        file = self.files.get(request.match_info["file_id"])
        if file is None:
            return web.Response(status=404)
        reader = await request.multipart()
        part = await reader.next()
        file["data"] = await part.read()  # type: ignore[union-attr]
        await self._notify()
        return web.Response(text=f"OK - {len(file['data'])}")

    def shared_file(self, name: str, data: bytes, mimetype: str) -> dict[str, Any]:
        """A file a user attached in Slack, as a `file_input` lists it."""
        file_id = f"F{len(self.files) + 1:06d}"
        self.files[file_id] = {"id": file_id, "name": name, "data": data, "shares": {}}
        return {
            "id": file_id,
            "name": name,
            "mimetype": mimetype,
            "size": len(data),
            "url_private_download": f"{self._base}/files/{file_id}/{name}",
        }

    async def _download(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization", "") != "Bearer xoxb-test-token":
            return web.Response(status=403)
        file = self.files.get(request.match_info["file_id"])
        if file is None or file["data"] is None:
            return web.Response(status=404)
        return web.Response(body=file["data"])

    # --- Socket Mode ---------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake"},
                "connection_info": {},
            }
        )
        self.socket_connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                data = json.loads(message.data)
                if "envelope_id" in data:
                    self.envelopes_acked[data["envelope_id"]] = data
                    await self._notify()
        return socket

    async def send_envelope(self, kind: str, payload: dict[str, Any], envelope_id: str) -> None:
        await self.socket_connected.wait()
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )


# Block Kit's documented limits for what a home view may hold.
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
CONTEXT_ELEMENTS = 10
BLOCK_TYPES = {"section", "header", "divider", "context", "actions", "image", "rich_text"}


def view_problems(view: Any) -> list[str]:
    """Why Slack would refuse this home view (empty: it would show it)."""
    if not isinstance(view, dict) or view.get("type") != "home":
        return ["view: must be an object of type home"]
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        return ["view.blocks: required"]
    problems = []
    if len(blocks) > VIEW_BLOCKS:
        problems.append(f"view.blocks: {len(blocks)} > {VIEW_BLOCKS}")
    ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    if len(ids) != len(set(ids)):
        problems.append("block_id: not unique")
    for at, block in enumerate(blocks):
        where = f"blocks[{at}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in BLOCK_TYPES:
            problems.append(f"{where}: type {kind!r}")
            continue
        text = block.get("text") or {}
        if kind == "section":
            if not text.get("text") and not block.get("fields"):
                problems.append(f"{where}: empty section")
            if len(text.get("text", "")) > SECTION_TEXT:
                problems.append(f"{where}.text: over {SECTION_TEXT}")
            accessory = block.get("accessory")
            if accessory is not None:
                problems += _button_problems(accessory, f"{where}.accessory")
        if kind == "header" and (
            text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= HEADER_TEXT
        ):
            problems.append(f"{where}.text: a header is plain_text of 1-{HEADER_TEXT}")
        if kind == "context":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= CONTEXT_ELEMENTS:
                problems.append(f"{where}.elements: 1-{CONTEXT_ELEMENTS}")
            if any(len(e.get("text", "")) > SECTION_TEXT for e in elements):
                problems.append(f"{where}.elements: text over {SECTION_TEXT}")
    return problems


def _button_problems(element: dict, where: str) -> list[str]:
    if element.get("type") != "button":
        return []
    problems = []
    if not 0 < len(element.get("text", {}).get("text", "")) <= BUTTON_TEXT:
        problems.append(f"{where}.text: 1-{BUTTON_TEXT} characters")
    if len(element.get("value", "")) > BUTTON_VALUE:
        problems.append(f"{where}.value: over {BUTTON_VALUE}")
    if not element.get("action_id"):
        problems.append(f"{where}.action_id: required")
    return problems


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _visible(message: dict, args: dict) -> dict:
    shown = {k: v for k, v in message.items() if k != "metadata"}
    if str(args.get("include_all_metadata", "")).lower() in ("1", "true") and message["metadata"]:
        shown["metadata"] = message["metadata"]
    return shown
