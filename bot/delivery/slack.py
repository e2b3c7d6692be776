"""The support channel as the delivery queue sees it: Slack's Web API, or the log in local mode.

Every post carries message `metadata` naming the ticket (and, in threads, the delivery key), so a
delivery retried after a crash first looks for what it may already have posted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.failures import PermanentFailure, TemporaryFailure
from bot.domain.deliveries import TO_CHANNEL
from bot.render.card import CARD_EVENT, THREAD_EVENT, Message

log = logging.getLogger("hib2b.channel")

# Errors a later try may cure; any other (a bad token, channel or block, a missing scope)
# is permanent: someone must fix the app, its token or its channel.
TEMPORARY_ERRORS = frozenset(
    {
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
    }
)
API_TIMEOUT_S = 30
HISTORY_PAGES = 10

SaveState = Callable[[dict[str, Any]], Awaitable[None]]


class Channel(Protocol):
    async def post_card(self, message: Message, number: int, since: datetime, retry: bool) -> str:
        """Post the card; returns its ts. `retry`: an earlier attempt may have posted it."""
        ...

    async def post_in_thread(
        self, thread_ts: str, message: Message, key: str, retry: bool
    ) -> str: ...

    async def update_card(self, ts: str, message: Message) -> None:
        """Edit the card in place (the same content twice is harmless)."""
        ...

    async def download(self, url: str, limit: int) -> bytes:
        """A file a technician attached in Slack (`url_private_download`), at most `limit`."""
        ...

    async def upload_file(
        self, thread_ts: str, path: Path, title: str, state: dict[str, Any], save: SaveState
    ) -> str:
        """Upload one file into the card's thread. `state` resumes an interrupted upload."""
        ...

    async def post_direct(self, user: str, message: Message) -> str:
        """A direct message to one person (an alert for a lead); its ts."""
        ...

    async def share_file(
        self,
        to: str,
        path: Path,
        filename: str,
        title: str,
        comment: str,
        state: dict[str, Any],
        save: SaveState,
    ) -> str:
        """Share a report or an export, with `comment`, in the support channel (`TO_CHANNEL`)
        or with one person by DM (`to` is their user id). `state` resumes, as in
        `upload_file`."""
        ...

    @property
    def keeps_files(self) -> bool:
        """True when a shared file is only pointed at (local mode): it must stay on disk."""
        ...

    async def close(self) -> None: ...


def classify(error: SlackApiError) -> Exception:
    """A Web API error as the queue's permanent or temporary failure."""
    response = error.response
    status = getattr(response, "status_code", 0)
    code = response.get("error", "") if isinstance(response.data, dict) else ""
    if status == 429 or code == "ratelimited":
        retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after")
        try:
            seconds = float(retry_after) if retry_after is not None else None
        except ValueError:
            seconds = None
        return TemporaryFailure("slack: ratelimited", retry_after=seconds)
    if status >= 500 or code in TEMPORARY_ERRORS:
        return TemporaryFailure(f"slack: HTTP {status} {code}".rstrip())
    return PermanentFailure(f"slack: {code or f'HTTP {status}'}")


class SlackChannel:
    def __init__(self, client: AsyncWebClient, channel: str) -> None:
        self._client = client
        self._channel = channel
        self._session: aiohttp.ClientSession | None = None

    async def _call(self, method: str, **kwargs: Any) -> Any:
        if self._client.session is None:
            # Without a session of ours the SDK opens one, and a connection (a TLS handshake
            # with Slack), for every call. A kept-alive connection Slack closed fails before
            # anything is sent: a temporary failure, retried after a look for what was posted.
            self._client.session = self._http()
        try:
            async with asyncio.timeout(API_TIMEOUT_S):
                return await getattr(self._client, method)(**kwargs)
        except SlackApiError as error:
            raise classify(error) from error
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise TemporaryFailure(f"slack: {type(error).__name__}: {error}") from error

    async def post_card(self, message: Message, number: int, since: datetime, retry: bool) -> str:
        if retry:
            found = await self._find_in_history(number, since)
            if found:
                log.info("card of HD-%s found in the channel after a retry: %s", number, found)
                return found
        response = await self._call(
            "chat_postMessage",
            channel=self._channel,
            text=message.text,
            blocks=message.blocks,
            metadata=message.metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    async def _find_in_history(self, number: int, since: datetime) -> str | None:
        return await self._find(
            "conversations_history",
            CARD_EVENT,
            "ticket",
            number,
            oldest=f"{since.timestamp() - 60:.6f}",
        )

    async def _find(
        self, method: str, event: str, field: str, wanted: object, **args: Any
    ) -> str | None:
        """The ts of a message of ours marked `event` with `field` == `wanted`, looking at most
        HISTORY_PAGES pages of `method` (what an earlier try may have posted)."""
        cursor = None
        for _ in range(HISTORY_PAGES):
            response = await self._call(
                method,
                channel=self._channel,
                include_all_metadata=True,
                limit=200,
                cursor=cursor,
                **args,
            )
            for item in response.get("messages", []):
                metadata = item.get("metadata") or {}
                if (
                    metadata.get("event_type") == event
                    and metadata.get("event_payload", {}).get(field) == wanted
                ):
                    return str(item["ts"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    async def post_in_thread(self, thread_ts: str, message: Message, key: str, retry: bool) -> str:
        if retry:
            found = await self._find_in_thread(thread_ts, key)
            if found:
                return found
        response = await self._call(
            "chat_postMessage",
            channel=self._channel,
            thread_ts=thread_ts,
            reply_broadcast=message.broadcast,
            text=message.text,
            blocks=message.blocks,
            metadata=message.metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    async def update_card(self, ts: str, message: Message) -> None:
        await self._call(
            "chat_update",
            channel=self._channel,
            ts=ts,
            text=message.text,
            blocks=message.blocks,
            metadata=message.metadata,
        )

    async def _find_in_thread(self, thread_ts: str, key: str) -> str | None:
        return await self._find("conversations_replies", THREAD_EVENT, "key", key, ts=thread_ts)

    async def upload_file(
        self, thread_ts: str, path: Path, title: str, state: dict[str, Any], save: SaveState
    ) -> str:
        return await self._upload(
            self._channel, path, title, title, state, save, thread_ts=thread_ts
        )

    async def post_direct(self, user: str, message: Message) -> str:
        # Posting to a user id is the app's DM with them; a retry after a lost answer may
        # repeat it (finding it again would need im:history), which an alert can afford.
        response = await self._call(
            "chat_postMessage",
            channel=user,
            text=message.text,
            blocks=message.blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    async def share_file(
        self,
        to: str,
        path: Path,
        filename: str,
        title: str,
        comment: str,
        state: dict[str, Any],
        save: SaveState,
    ) -> str:
        channel = self._channel
        if to != TO_CHANNEL:
            # A DM: Slack names the conversation with the person (the same one every time).
            opened = await self._call("conversations_open", users=to)
            channel = str(opened["channel"]["id"])
        return await self._upload(channel, path, filename, title, state, save, comment=comment)

    async def _upload(
        self,
        channel: str,
        path: Path,
        filename: str,
        title: str,
        state: dict[str, Any],
        save: SaveState,
        thread_ts: str | None = None,
        comment: str = "",
    ) -> str:
        # Files upload v2: reserve an id, send the bytes, then share where it goes.
        file_id = state.get("file_id")
        if file_id and state.get("uploaded"):
            shared = await self._shared_already(file_id, channel)
            if shared:
                return file_id
        else:
            try:
                data = await asyncio.to_thread(path.read_bytes)
            except FileNotFoundError as error:
                raise PermanentFailure(f"the file to upload is gone: {path.name}") from error
            reserved = await self._call(
                "files_getUploadURLExternal", filename=filename, length=len(data)
            )
            file_id = str(reserved["file_id"])
            await self._send_bytes(str(reserved["upload_url"]), data, filename)
            await save({"file_id": file_id, "uploaded": True})
        where: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
        if comment:
            where["initial_comment"] = comment
        await self._call(
            "files_completeUploadExternal",
            files=[{"id": file_id, "title": title}],
            channel_id=channel,
            **where,
        )
        return file_id

    async def _shared_already(self, file_id: str, channel: str) -> bool:
        try:
            info = await self._call("files_info", file=file_id)
        except PermanentFailure:
            return False  # the reserved upload expired: complete will say so, or we start over
        shares = (info.get("file") or {}).get("shares") or {}
        return any(channel in group for group in shares.values())

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=API_TIMEOUT_S * 4)
            )
        return self._session

    async def download(self, url: str, limit: int) -> bytes:
        headers = {"Authorization": f"Bearer {self._client.token}"}
        try:
            async with self._http().get(url, headers=headers) as response:
                if response.status != 200:
                    raise PermanentFailure(f"slack download: HTTP {response.status}")
                data = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > limit:
                        break
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise TemporaryFailure(f"slack download: {type(error).__name__}") from error
        if len(data) > limit:
            raise PermanentFailure("slack download: too large")
        return bytes(data)

    async def _send_bytes(self, url: str, data: bytes, title: str) -> None:
        try:
            form = aiohttp.FormData()
            form.add_field("file", data, filename=title)
            async with self._http().post(url, data=form) as response:
                if response.status >= 500 or response.status == 429:
                    raise TemporaryFailure(f"slack upload: HTTP {response.status}")
                if response.status != 200:
                    raise PermanentFailure(f"slack upload: HTTP {response.status}")
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise TemporaryFailure(f"slack upload: {type(error).__name__}: {error}") from error

    @property
    def keeps_files(self) -> bool:
        return False

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class LogChannel:
    """Local mode: what would reach the channel is written to the log, readable as it stands."""

    def __init__(self) -> None:
        self._count = 0

    def _ts(self) -> str:
        self._count += 1
        return f"local.{self._count:06d}"

    async def post_card(self, message: Message, number: int, since: datetime, retry: bool) -> str:
        log.info("[canal de soporte] nuevo ticket\n%s", message.plain or message.text)
        return self._ts()

    async def post_in_thread(self, thread_ts: str, message: Message, key: str, retry: bool) -> str:
        log.info("[canal de soporte, hilo %s]\n%s", thread_ts, message.plain or message.text)
        return self._ts()

    async def update_card(self, ts: str, message: Message) -> None:
        log.info("[canal de soporte] tarjeta actualizada\n%s", message.plain or message.text)

    async def download(self, url: str, limit: int) -> bytes:
        raise PermanentFailure("local mode has no Slack files")

    async def upload_file(
        self, thread_ts: str, path: Path, title: str, state: dict[str, Any], save: SaveState
    ) -> str:
        log.info("[canal de soporte, hilo %s] archivo adjunto: %s (%s)", thread_ts, title, path)
        return str(path)

    async def post_direct(self, user: str, message: Message) -> str:
        log.info("[mensaje directo a %s]\n%s", user, message.plain or message.text)
        return self._ts()

    async def share_file(
        self,
        to: str,
        path: Path,
        filename: str,
        title: str,
        comment: str,
        state: dict[str, Any],
        save: SaveState,
    ) -> str:
        # The file stays where it was written: in local mode that is where one looks for it.
        where = "canal de soporte" if to == TO_CHANNEL else f"mensaje directo a {to}"
        log.info("[%s] %s\n%s\narchivo: %s", where, title, comment, path)
        return str(path)

    @property
    def keeps_files(self) -> bool:
        return True

    async def close(self) -> None:
        return None
