"""Gateway websocket sessions: HELLO/IDENTIFY/READY, heartbeats, sequenced dispatches, RESUME with replay.

Every dispatch is recorded per session, so a client that reconnects and sends RESUME gets the
events it missed in order, exactly as Discord replays them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.sandbox import serialize
from bot.sandbox.state import SandboxState

log = logging.getLogger(__name__)

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16
KNOWN_INTENTS = ((1 << 22) - 1) | (1 << 24) | (1 << 25)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE_UPDATE, VOICE_STATE_UPDATE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_GUILD_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11
IGNORED_OPS = frozenset({PRESENCE_UPDATE, VOICE_STATE_UPDATE, 31})

HEARTBEAT_INTERVAL_MS = 41_250
# Discord's ACK crosses a network; an instant one from a local server reaches discord.py before its
# keep-alive thread has stamped the heartbeat as sent, so it measures the whole interval ("41.3s behind").
HEARTBEAT_ACK_DELAY_SECONDS = 0.02
RESUME_WINDOW_SECONDS = 180.0
REPLAY_BUFFER = 10_000
MAX_PAYLOAD_BYTES = 4096
Redactor = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class _Close:
    code: int


@dataclass(eq=False)
class Connection:
    """One websocket; a writer task sends queued frames in order through one zlib context."""

    ws: web.WebSocketResponse
    compress: bool
    queue: asyncio.Queue[str | _Close] = field(default_factory=asyncio.Queue)
    session: Session | None = None
    closing: bool = False

    def send(self, text: str) -> None:
        if not self.closing:
            self.queue.put_nowait(text)

    def close(self, code: int) -> None:
        if not self.closing:
            self.closing = True
            self.queue.put_nowait(_Close(code))

    async def write_loop(self) -> None:
        deflate = zlib.compressobj() if self.compress else None
        while True:
            item = await self.queue.get()
            if isinstance(item, _Close):
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self.ws.close(code=item.code)
                return
            try:
                if deflate is not None:
                    frame = deflate.compress(item.encode()) + deflate.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(frame)
                else:
                    await self.ws.send_str(item)
            except (ConnectionError, RuntimeError):
                return


@dataclass(eq=False)
class Session:
    """A gateway session that outlives its websocket until it is resumed, invalidated or expires."""

    id: str
    intents: int
    shard: list[int] | None
    seq: int = 0
    buffer: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=REPLAY_BUFFER))
    connection: Connection | None = None
    disconnected_at: float | None = None
    invalid: bool = False

    def expired(self) -> bool:
        return self.invalid or (
            self.disconnected_at is not None
            and time.monotonic() - self.disconnected_at > RESUME_WINDOW_SECONDS
        )


def _encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


class GatewayHub:
    """All sessions and connections; `dispatch` fans an event out to every session whose intents want it."""

    def __init__(
        self,
        state: SandboxState,
        *,
        heartbeat_interval_ms: int = HEARTBEAT_INTERVAL_MS,
        ack_delay: float = HEARTBEAT_ACK_DELAY_SECONDS,
    ) -> None:
        self.state = state
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.ack_delay = ack_delay
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.accepting = asyncio.Event()
        self.accepting.set()

    # -- dispatching ------------------------------------------------------------------------------

    def dispatch(
        self, event: str, data: dict[str, Any], *, intent: int | None = None, redact: Redactor | None = None
    ) -> None:
        for session in list(self.sessions.values()):
            if session.expired():
                self.sessions.pop(session.id, None)
                continue
            if intent is not None and not session.intents & intent:
                continue
            body = redact(data) if redact is not None and not session.intents & MESSAGE_CONTENT else data
            self._send_dispatch(session, event, body)

    def _send_dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        text = _encode({"op": DISPATCH, "t": event, "s": session.seq, "d": data})
        session.buffer.append((session.seq, text))
        if session.connection is not None:
            session.connection.send(text)

    # -- test hooks -------------------------------------------------------------------------------

    def drop(self, *, resumable: bool = True) -> int:
        """Closes every live socket: 4000 keeps the session resumable, otherwise it is invalidated first."""
        dropped = 0
        for conn in list(self.connections):
            if conn.session is not None and not resumable:
                conn.session.invalid = True
            conn.close(4000 if resumable else 4009)
            dropped += 1
        return dropped

    def reconnect(self) -> None:
        """Sends RECONNECT (op 7); the client should close and RESUME."""
        for conn in list(self.connections):
            conn.send(_encode({"op": RECONNECT, "d": None}))

    def request_heartbeat(self) -> None:
        """Sends HEARTBEAT (op 1), as Discord may: the client must heartbeat at once and gets an ACK."""
        for conn in list(self.connections):
            conn.send(_encode({"op": HEARTBEAT, "d": None}))

    def invalidate(self, *, resumable: bool) -> None:
        """Sends INVALID_SESSION (op 9); with d=false the session is gone and the client must IDENTIFY."""
        for conn in list(self.connections):
            if conn.session is not None and not resumable:
                conn.session.invalid = True
            conn.send(_encode({"op": INVALID_SESSION, "d": resumable}))

    async def close_all(self) -> None:
        for conn in list(self.connections):
            conn.close(1001)
        self.sessions.clear()

    # -- websocket handler ------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        await self.accepting.wait()  # tests clear this to keep a client disconnected for a while
        ws = web.WebSocketResponse(max_msg_size=1 << 20, autoping=True)
        await ws.prepare(request)
        encoding = request.query.get("encoding", "json")
        compress_kind = request.query.get("compress")
        if compress_kind not in (None, "zlib-stream"):
            log.warning("gateway: %s not supported, sending uncompressed text frames", compress_kind)
        conn = Connection(ws=ws, compress=compress_kind == "zlib-stream")
        writer = asyncio.create_task(conn.write_loop())
        self.connections.add(conn)
        try:
            if encoding != "json":
                conn.close(4002)
            elif request.query.get("v", "10") not in ("9", "10"):
                conn.close(4012)
            else:
                conn.send(_encode({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}))
                await self._read_loop(conn)
        finally:
            self.connections.discard(conn)
            self._detach(conn, ws.close_code)
            conn.closing = True
            conn.queue.put_nowait(_Close(ws.close_code or 1000))
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(writer, timeout=2.0)
        return ws

    def _detach(self, conn: Connection, close_code: int | None) -> None:
        session = conn.session
        if session is None or session.connection is not conn:
            return
        session.connection = None
        session.disconnected_at = time.monotonic()
        if close_code in (1000, 1001) and not conn.closing:
            session.invalid = True

    async def _read_loop(self, conn: Connection) -> None:
        async for msg in conn.ws:
            if msg.type is WSMsgType.TEXT:
                raw = msg.data.encode()
            elif msg.type is WSMsgType.BINARY:
                raw = bytes(msg.data)
            else:
                break
            if conn.closing:
                continue
            if len(raw) > MAX_PAYLOAD_BYTES:
                conn.close(4002)
                continue
            try:
                payload = json.loads(raw)
                op = payload["op"]
            except (ValueError, KeyError, TypeError):
                conn.close(4002)
                continue
            self._on_payload(conn, op, payload.get("d"))

    def _on_payload(self, conn: Connection, op: Any, data: Any) -> None:
        if op == HEARTBEAT:
            # every heartbeat is acknowledged, after a network-like delay (see HEARTBEAT_ACK_DELAY_SECONDS)
            asyncio.get_running_loop().call_later(self.ack_delay, conn.send, _encode({"op": HEARTBEAT_ACK}))
        elif op == IDENTIFY:
            self._identify(conn, data)
        elif op == RESUME:
            self._resume(conn, data)
        elif conn.session is None:
            conn.close(4003)
        elif op == REQUEST_GUILD_MEMBERS:
            self._request_members(conn.session, data)
        elif op not in IGNORED_OPS:
            conn.close(4001)

    def _identify(self, conn: Connection, data: Any) -> None:
        if conn.session is not None:
            conn.close(4005)
            return
        if not isinstance(data, dict) or not data.get("token"):
            conn.close(4004)
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents & ~KNOWN_INTENTS:
            conn.close(4013)
            return
        shard = data.get("shard")
        session = Session(
            id=secrets.token_hex(16), intents=intents, shard=shard if isinstance(shard, list) else None
        )
        for old in list(self.sessions.values()):
            if old.connection is None:
                self.sessions.pop(old.id, None)
        self.sessions[session.id] = session
        session.connection = conn
        conn.session = session
        state = self.state
        ready: dict[str, Any] = {
            "v": 10,
            "user": serialize.current_user(state.bot_user),
            "guilds": [{"id": str(g), "unavailable": True} for g in state.guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": state.gateway_url,
            "application": {"id": str(state.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "user_settings": {},
            "auth_session_id_hash": secrets.token_hex(8),
            "_trace": ['["sandbox-gateway",{"micros":0}]'],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        self._send_dispatch(session, "READY", ready)
        if intents & GUILDS:
            for guild in state.guilds.values():
                payload = serialize.guild_create(state, guild, all_members=bool(intents & GUILD_MEMBERS))
                self._send_dispatch(session, "GUILD_CREATE", payload)
        log.info("gateway: session %s… identified (intents=%d)", session.id[:6], intents)

    def _resume(self, conn: Connection, data: Any) -> None:
        if conn.session is not None:
            conn.close(4005)
            return
        session = self.sessions.get(str(data.get("session_id"))) if isinstance(data, dict) else None
        seq = data.get("seq") if isinstance(data, dict) else None
        oldest = session.buffer[0][0] if session is not None and session.buffer else 1
        if session is None or session.expired() or not isinstance(seq, int) or seq < oldest - 1:
            conn.send(_encode({"op": INVALID_SESSION, "d": False}))
            if session is not None:
                self.sessions.pop(session.id, None)
            return
        if seq > session.seq:
            conn.close(4007)
            return
        if session.connection is not None:
            session.connection.close(4000)
        replay = [text for s, text in session.buffer if s > seq]
        for text in replay:
            conn.send(text)
        session.connection = conn
        session.disconnected_at = None
        conn.session = session
        self._send_dispatch(session, "RESUMED", {"_trace": ['["sandbox-gateway",{"micros":0}]']})
        log.info("gateway: session %s… resumed, replayed %d events", session.id[:6], len(replay))

    def _request_members(self, session: Session, data: Any) -> None:
        if not isinstance(data, dict):
            return
        guild = self.state.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        members = list(guild.members.values())
        not_found: list[str] = []
        user_ids = data.get("user_ids")
        if user_ids is not None:
            wanted = [int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
            not_found = [str(u) for u in wanted if u not in guild.members]
            members = [m for m in members if m.user_id in wanted]
        else:
            query = str(data.get("query") or "").lower()
            members = [m for m in members if self.state.users[m.user_id].username.lower().startswith(query)]
            limit = int(data.get("limit") or 0)
            if limit:
                members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [serialize.member(self.state, m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if not_found:
            chunk["not_found"] = not_found
        if data.get("presences"):
            chunk["presences"] = []
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)
