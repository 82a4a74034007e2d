"""A browser tab of a Streamlit app, spoken at the protocol level (for ``benchmarks/load.py``).

Everything here follows the installed Streamlit (1.67: a Starlette/uvicorn server) and its
frontend bundle (``streamlit/static``), so the server cannot tell a simulated student from a
browser tab:

* **Opening a link.** ``GET /<page>?<query>`` (the HTML; optionally the JS/CSS it references),
  then ``GET /_stcore/health`` and ``/_stcore/host-config`` as the frontend does before it
  connects. With ``server.enableXsrfProtection`` the health response sets the
  ``_streamlit_xsrf`` cookie; the WebSocket ``/_stcore/stream`` is then opened with that cookie,
  an ``Origin`` header, and the subprotocols ``["streamlit", <xsrf token>, <last session id>]``
  (``getSessionTokens`` in the bundle: the second entry is the token, the third is sent only
  when reconnecting). Browsers do not send WebSocket pings; neither does this client.
* **Running the script.** Nothing runs until the client sends ``BackMsg.rerun_script`` with a
  ``ClientState`` (``sendRerunBackMsg`` in the bundle): the address bar's query string, the
  state of every widget on the page, ``page_name`` (the URL path) on the first run and then
  ``page_script_hash`` (the last ``navigation``/``new_session`` page hash), the hashes of every
  message the client has cached, and ``context_info`` (time zone, locale, URL, colour scheme).
  The run is over at ``ForwardMsg.script_finished`` with ``FINISHED_SUCCESSFULLY`` (or
  ``FINISHED_FRAGMENT_RUN_SUCCESSFULLY``) of a run whose ``new_session`` arrived after the
  request (every run starts with one); ``FINISHED_EARLY_FOR_RERUN`` means another run follows.
  ``page_info_changed`` carries the new query string, which the browser puts in the address bar
  and sends with the next rerun.
* **Widgets.** Each widget element (``element.number_input``, ``.slider``, ``.selectbox``,
  ``.checkbox``, ``.button_group``, …) carries its id ``$$ID-<hash>-<user key>``. On first sight
  the frontend sets the widget's state from the proto (``value``/``raw_value`` when
  ``set_value``, else ``default``) in the field its widget uses (``int_value`` for an integer
  number input, ``double_array_value`` for a slider, ``string_array_value`` of option labels for
  a select slider or a segmented control, ``string_value`` of the label for a select box, …);
  a later element without ``set_value`` keeps the user's value. A rerun sends the states of all
  widgets of the last finished run (``getActiveWidgetStates``); widgets that vanished are
  forgotten (``removeInactiveWidgetState``). A widget inside a fragment reruns that fragment.
* **The message cache.** In this version the cache is driven by the client: a ForwardMsg with
  ``metadata.cacheable`` (a ``new_element`` delta ≥ ``global.minCachedMessageSize``, 10 kB) is
  kept under its ``hash``; the client lists its hashes in every rerun, and the server sends a
  ``ref_hash`` message instead of any element the client already holds. After each full run the
  entries not used in the last ``max_cached_message_age`` runs (``new_session.config``) expire —
  ``ForwardMessageCache`` in the bundle, step for step. There is no HTTP endpoint to fetch a
  missing message any more (older versions had ``/_stcore/message?hash=``): a reference the
  client does not hold is a bug the frontend reports ("Cached ForwardMsg MISS"), and so is it
  here (``RunResult.cache_misses``).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin, Subprotocol

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) DescentLab-load/1.0 (simulated student)"
XSRF_COOKIE = "_streamlit_xsrf"
MAX_MESSAGE = 64 * 1024 * 1024  # the app's server.maxMessageSize is 50 MB
DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
BROWSER_PARALLEL_FETCHES = 6  # HTTP/1.1 connections a browser opens per host
PING_TIMEOUT = 15.0  # the frontend's limits for its server pings and the WebSocket handshake
WS_OPEN_TIMEOUT = 15.0
RECONNECT_QUIET = 0.3  # seconds without a message: the reconnected session's backlog is in

# Element types whose widget state a browser keeps and sends back with every rerun.
STATEFUL = {
    "checkbox",
    "number_input",
    "slider",
    "selectbox",
    "radio",
    "button_group",
    "multiselect",
    "text_input",
    "text_area",
}
CHANGEABLE = {
    "checkbox",
    "toggle",
    "number_input",
    "slider",
    "select_slider",
    "selectbox",
    "radio",
    "button_group",
}


class ProtocolError(Exception):
    """The server did something a browser would report (bad status, closed socket, …)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class Disconnected(ProtocolError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("disconnected", detail)


# ---------------------------------------------------------------------------------------- HTTP


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    wire_bytes: int

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)

    def cookies(self) -> dict[str, str]:
        out = {}
        for k, v in self.headers:
            if k == "set-cookie":
                name, _, value = v.split(";", 1)[0].partition("=")
                out[name.strip()] = value.strip()
        return out


async def http_get(url: str, cookies: dict[str, str], timeout: float) -> HttpResponse:
    """One GET as a browser sends it (gzip accepted, cookies), on its own connection."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"User-Agent: {USER_AGENT}",
        "Accept: */*",
        "Accept-Encoding: gzip",
        "Accept-Language: en-US",
        "Connection: close",
    ]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))

    async def exchange() -> bytes:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            await writer.drain()
            return await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    raw = await asyncio.wait_for(exchange(), timeout)
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(status_line.split()[1])
    except (IndexError, ValueError) as err:
        raise ProtocolError("http", f"bad response to GET {path}: {status_line!r}") from err
    headers = [
        (k.strip().lower(), v.strip()) for k, _, v in (h.partition(":") for h in header_lines)
    ]
    response = HttpResponse(status, headers, body, len(raw))
    if (response.header("transfer-encoding") or "").lower() == "chunked":
        response.body = _dechunk(body)
    if (response.header("content-encoding") or "").lower() == "gzip":
        response.body = zlib.decompress(response.body, 16 + zlib.MAX_WBITS)
    return response


def _dechunk(body: bytes) -> bytes:
    out, rest = bytearray(), body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)


ASSET = re.compile(r'(?:src|href)="\./((?:static/|favicon)[^"]+)"')


def page_assets(html: bytes) -> list[str]:
    """The files the app's HTML page references (scripts, module preloads, CSS, fonts)."""
    return list(dict.fromkeys(ASSET.findall(html.decode("utf-8", "replace"))))


# ------------------------------------------------------------------------------ message cache


@dataclass
class _Cached:
    raw: bytes
    run_count: int
    fragment_id: str


class MessageCache:
    """The frontend's ForwardMsg cache (``ForwardMessageCache`` in the bundle)."""

    def __init__(self) -> None:
        self.messages: dict[str, _Cached] = {}
        self.run_count = 0

    def hashes(self) -> list[str]:
        return list(self.messages)

    def process(self, msg: ForwardMsg, raw: bytes) -> tuple[ForwardMsg | None, int]:
        """The message to handle (a reference replaced by what it refers to; None on a miss)
        and how many bytes the cache supplied."""
        kind = msg.WhichOneof("type")
        new = kind != "ref_hash" and msg.metadata.cacheable and msg.hash
        if new and self._touch(msg.hash) is None:
            fragment = msg.delta.fragment_id if kind == "delta" else ""
            self.messages[msg.hash] = _Cached(raw, self.run_count, fragment)
        if kind != "ref_hash":
            return msg, 0
        entry = self._touch(msg.ref_hash)
        if entry is None:
            return None, 0
        full = ForwardMsg.FromString(entry.raw)
        full.metadata.CopyFrom(msg.metadata)
        return full, len(entry.raw)

    def _touch(self, hash_: str) -> _Cached | None:
        entry = self.messages.get(hash_)
        if entry is not None:
            entry.run_count = self.run_count
        return entry

    def increment_run_count(self, max_age: int, fragment_ids: Sequence[str]) -> None:
        self.run_count += 1
        for key, entry in list(self.messages.items()):
            if fragment_ids and (not entry.fragment_id or entry.fragment_id not in fragment_ids):
                continue
            if self.run_count - entry.run_count > max_age:
                del self.messages[key]


# ------------------------------------------------------------------------------------ widgets


@dataclass
class Widget:
    """A widget as the server described it in its last delta."""

    id: str
    kind: str  # element type; "toggle" and "select_slider" for those styles
    proto: Any  # the element's widget message (NumberInput, Slider, …)
    fragment_id: str = ""

    @property
    def key(self) -> str | None:
        """The user key inside the id (``$$ID-<hash>-<key>``), None for widgets without one."""
        key = self.id.split("-", maxsplit=2)[-1]
        return None if key == "None" else key

    @property
    def disabled(self) -> bool:
        return bool(getattr(self.proto, "disabled", False))


def widget_of(element: Any, fragment_id: str) -> Widget | None:
    """The stateful widget an Element proto draws, or None."""
    etype = element.WhichOneof("type")
    if etype not in STATEFUL:
        return None
    proto = getattr(element, etype)
    if not proto.id:
        return None
    kind = etype
    if etype == "slider" and proto.type == Slider.SELECT_SLIDER:
        kind = "select_slider"
    elif etype == "checkbox" and proto.type == proto.TOGGLE:
        kind = "toggle"
    return Widget(proto.id, kind, proto, fragment_id)


def initial_state(w: Widget) -> WidgetState | None:
    """The state the frontend gives a widget when it mounts it (None: it holds no value)."""
    p, state = w.proto, WidgetState(id=w.id)
    if w.kind in ("checkbox", "toggle"):
        state.bool_value = p.value if p.set_value else p.default
    elif w.kind == "number_input":
        if p.HasField("value"):
            number = p.value
        elif p.HasField("default"):
            number = p.default
        else:
            return None
        if p.data_type == p.INT:
            state.int_value = int(number)
        else:
            state.double_value = float(number)
    elif w.kind == "slider":
        state.double_array_value.data[:] = list(p.value if p.set_value else p.default)
    elif w.kind == "select_slider":
        labels = list(p.raw_value) if p.set_value and p.raw_value else None
        state.string_array_value.data[:] = labels or [p.options[int(i)] for i in p.default]
    elif w.kind in ("selectbox", "radio"):
        if p.set_value and p.HasField("raw_value"):
            state.string_value = p.raw_value
        elif p.HasField("default") and 0 <= p.default < len(p.options):
            state.string_value = p.options[p.default]
        else:
            return None
    elif w.kind == "button_group":
        values = list(p.raw_values) if p.set_value else [p.options[i].content for i in p.default]
        state.string_array_value.data[:] = values
    elif w.kind == "multiselect":
        values = list(p.raw_values) if p.set_value else [p.options[i] for i in p.default]
        state.string_array_value.data[:] = values
    elif w.kind in ("text_input", "text_area"):
        if p.set_value and p.HasField("value"):
            state.string_value = p.value
        elif p.HasField("default"):
            state.string_value = p.default
        else:
            return None
    else:
        return None
    return state


def state_value(state: WidgetState) -> Any:
    """The Python value a widget state holds (a list for array states)."""
    kind = state.WhichOneof("value")
    if kind is None:
        return None
    value = getattr(state, kind)
    if kind in ("double_array_value", "string_array_value", "int_array_value"):
        return list(value.data)
    return value


def nudge(w: Widget, current: WidgetState, rng: random.Random) -> WidgetState | None:
    """A new state for widget ``w`` as a learner would set it: one to three notches of its
    step, another option, the other side of a toggle — always inside the widget's range."""
    p, new = w.proto, WidgetState(id=w.id)
    value = state_value(current)
    k = rng.choice((1, 1, 2, 3)) * rng.choice((-1, 1))
    if w.kind in ("checkbox", "toggle"):
        new.bool_value = not bool(value)
    elif w.kind == "number_input":
        low = p.min if p.has_min else -1e300
        high = p.max if p.has_max else 1e300
        step = p.step or (1 if p.data_type == p.INT else 0.01)
        target = _stepped(float(value), k, step, low, high)
        if target is None:
            return None
        if p.data_type == p.INT:
            new.int_value = round(target)
        else:
            new.double_value = target
    elif w.kind == "slider":
        step = p.step or (1.0 if p.data_type == p.INT else (p.max - p.min) / 100)
        targets = [_stepped(float(v), k, step, p.min, p.max) for v in value]
        if any(t is None for t in targets):
            return None
        new.double_array_value.data[:] = [t for t in targets if t is not None]
    elif w.kind == "select_slider":
        options = list(p.options)
        index = options.index(value[0]) if value and value[0] in options else int(p.default[0])
        target = _stepped(index, k, 1, 0, len(options) - 1)
        if target is None:
            return None
        new.string_array_value.data[:] = [options[round(target)]]
    elif w.kind in ("selectbox", "radio"):
        others = [o for o in p.options if o != value]
        if not others:
            return None
        new.string_value = rng.choice(others)
    elif w.kind == "button_group":
        contents = [o.content for o in p.options]
        others = [c for c in contents if [c] != value]
        if not others:
            return None
        new.string_array_value.data[:] = [rng.choice(others)]
    else:
        return None
    return new


def _stepped(value: float, k: int, step: float, low: float, high: float) -> float | None:
    """``value`` moved by ``k`` steps, turned back if it would leave [low, high]; None if the
    range has no other value."""
    for steps in (k, -k):
        target = round(value + steps * step, 10)
        if low <= target <= high and target != value:
            return target
    for target in (low, high):
        if target != value and abs(target) < 1e299:
            return target
    return None


# ------------------------------------------------------------------------------------ a run


@dataclass
class RunResult:
    """What one script run sent this client."""

    sent_at: float
    finished_at: float = 0.0
    status: int | None = None
    payload_bytes: int = 0  # the ForwardMsg bytes received (after any WebSocket compression)
    wire_bytes: int = 0  # bytes read from the socket (frames, compressed)
    messages: int = 0
    cache_hits: int = 0  # references the cache resolved
    cache_bytes: int = 0  # bytes the cache supplied instead of the network
    cache_misses: int = 0
    charts: int = 0  # Plotly charts in this run's deltas
    charts_from_cache: int = 0
    elements: Counter[str] = field(default_factory=Counter)
    exceptions: list[str] = field(default_factory=list)
    error_alerts: list[str] = field(default_factory=list)
    query_string: str = ""
    reconnects: int = 0

    @property
    def seconds(self) -> float:
        return self.finished_at - self.sent_at


class _CountingConnection(ClientConnection):
    """A client connection that counts the bytes it reads from the socket."""

    wire_bytes = 0

    def data_received(self, data: bytes) -> None:
        self.wire_bytes += len(data)
        super().data_received(data)


@dataclass
class _Pending:
    result: RunResult
    done: asyncio.Future[RunResult]
    fragment_id: str = ""
    wire_start: int = 0


class BrowserTab:
    """One browser tab showing one page of the app (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        page: str,
        query: str,
        *,
        open_timeout: float = 60.0,
        fetch_assets: bool = False,
        context: dict[str, Any] | None = None,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.page = page.strip("/")
        self.query_string = query
        self.open_timeout = open_timeout
        self.connect_retries = 0
        self.fetch_assets = fetch_assets
        self.context = {
            "timezone": "UTC",
            "timezone_offset": 0,
            "locale": "en-US",
            "is_embedded": False,
            "color_scheme": "light",
        } | (context or {})
        self.cookies: dict[str, str] = {}
        self.cache = MessageCache()
        self.session_id = ""
        self.upstreams: list[str] = []  # the worker behind each connection (a proxy's X-Upstream)
        self.page_script_hash = ""
        self.max_cached_age = 2
        self.widgets: dict[str, Widget] = {}  # the last finished run's widgets, by id
        self.states: dict[str, WidgetState] = {}  # what the tab holds for each widget
        self.http_bytes = 0
        self.payload_bytes = 0
        self.unexpected: list[ProtocolError] = []  # errors outside any run
        self._ws: _CountingConnection | None = None
        self._receiver: asyncio.Task[None] | None = None
        self._pending: _Pending | None = None
        self._run_widgets: dict[str, Widget] = {}
        self._new_session_since_rerun = False
        self._closing = False
        self._last_message_at = 0.0

    # -- the page and the socket

    @property
    def url(self) -> str:
        return f"{self.base}/{self.page}" + (f"?{self.query_string}" if self.query_string else "")

    async def _get(self, path_or_url: str, timeout: float | None = None) -> HttpResponse:
        url = path_or_url if "://" in path_or_url else f"{self.base}/{path_or_url}"
        path = urlsplit(url).path
        try:
            response = await http_get(url, self.cookies, timeout or self.open_timeout)
        except TimeoutError as err:
            raise ProtocolError("http_timeout", f"GET {path}") from err
        except OSError as err:
            raise ProtocolError("http_connect", f"GET {path}: {err!r}") from err
        self.http_bytes += response.wire_bytes
        self.cookies |= response.cookies()
        if response.status != 200:
            raise ProtocolError("http", f"GET {path} → {response.status}")
        return response

    async def open(self) -> _Pending:
        """Load the page as a browser does and request its first script run; the returned
        run's ``done`` resolves when that run finishes (its time counts from the page load).
        Connecting is retried as the frontend retries it, for up to ``open_timeout``."""
        sent_at = time.perf_counter()
        html = await self._get(self.url)
        if self.fetch_assets:
            assets = page_assets(html.body)
            gate = asyncio.Semaphore(BROWSER_PARALLEL_FETCHES)

            async def fetch(path: str) -> None:
                async with gate:
                    await self._get(path)

            await asyncio.gather(*(fetch(a) for a in assets))
        deadline = sent_at + self.open_timeout
        backoff = 0.1
        while True:
            try:
                await self._connect()
                break
            except ProtocolError:
                if time.perf_counter() + backoff >= deadline:
                    raise
                self.connect_retries += 1
                await asyncio.sleep(backoff)
                backoff = min(2 * backoff, 4.0)  # the frontend's ping backoff tops out at 4 s
        pending = await self.send_rerun({}, first=True)
        pending.result.sent_at = sent_at
        return pending

    async def _connect(self) -> None:
        """One connection attempt: the frontend's server pings, then the WebSocket (15 s
        each, as the frontend allows them)."""
        await asyncio.gather(
            self._get("_stcore/health", PING_TIMEOUT),
            self._get("_stcore/host-config", PING_TIMEOUT),
        )
        token = self.cookies.get(XSRF_COOKIE) or "PLACEHOLDER_AUTH_TOKEN"
        protocols = ["streamlit", token, *([self.session_id] if self.session_id else [])]
        ws_url = "ws" + self.base[len("http") :] + "/_stcore/stream"
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            ws = await connect(
                ws_url,
                subprotocols=[Subprotocol(p) for p in protocols],
                origin=Origin(self.base),
                additional_headers={"Cookie": cookie} if cookie else None,
                user_agent_header=USER_AGENT,
                max_size=MAX_MESSAGE,
                max_queue=None,
                ping_interval=None,
                open_timeout=WS_OPEN_TIMEOUT,
                close_timeout=2,
                create_connection=_CountingConnection,
            )
        except (TimeoutError, OSError, ConnectionClosed) as err:
            raise ProtocolError("ws_connect", repr(err)) from err
        except Exception as err:  # websockets' handshake errors (InvalidStatus, …)
            raise ProtocolError("ws_connect", repr(err)) from err
        assert isinstance(ws, _CountingConnection)
        if ws.subprotocol != "streamlit":
            raise ProtocolError("ws_connect", f"subprotocol {ws.subprotocol!r}")
        self._ws = ws
        response = ws.response
        self.upstreams.append(response.headers.get("X-Upstream", "") if response else "")
        self._receiver = asyncio.create_task(self._receive(ws))

    async def reconnect(self, interrupted: _Pending | None = None) -> _Pending | None:
        """What the frontend does when its socket drops: connect again (naming its session)
        and, if a run was under way (``interrupted``), ask for it again with the same state;
        the returned run continues the interrupted one's timing."""
        await self._connect()
        # A session that outlived the socket first gets what the socket missed; let that
        # backlog arrive so that its end is not taken for the end of the rerun asked for below.
        quiet_since = time.perf_counter()
        while time.perf_counter() - quiet_since < 3.0:
            await asyncio.sleep(0.1)
            if time.perf_counter() - self._last_message_at >= RECONNECT_QUIET:
                break
        if interrupted is None:
            return None
        interrupted.result.reconnects += 1
        loop = asyncio.get_running_loop()
        again = _Pending(interrupted.result, loop.create_future(), interrupted.fragment_id)
        return await self.send_rerun(
            {}, fragment_id=again.fragment_id, first=not self.page_script_hash, keep=again
        )

    @property
    def connected(self) -> bool:
        return self._receiver is not None and not self._receiver.done()

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._receiver is not None:
            self._receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._receiver

    # -- reruns

    def active_states(self) -> list[WidgetState]:
        return [self.states[i] for i in self.widgets if i in self.states]

    async def send_rerun(
        self,
        changes: dict[str, WidgetState],
        *,
        fragment_id: str = "",
        first: bool = False,
        keep: _Pending | None = None,
    ) -> _Pending:
        """Send a rerun with the tab's widget states (``changes`` applied) and return the run,
        whose ``done`` resolves at its ``script_finished``."""
        if self._ws is None:
            raise Disconnected("not connected")
        if self._pending is not None and not self._pending.done.done() and keep is None:
            raise ProtocolError("client", "a rerun is already pending")
        self.states |= changes
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        state.widget_states.widgets.extend(self.active_states())
        if first or not self.page_script_hash:
            state.page_name = self.page
        else:
            state.page_script_hash = self.page_script_hash
        if fragment_id:
            state.fragment_id = fragment_id
        state.cached_message_hashes.extend(self.cache.hashes())
        for name, value in (self.context | {"url": self.url}).items():
            setattr(state.context_info, name, value)
        if keep is not None:
            pending = keep
        else:
            loop = asyncio.get_running_loop()
            pending = _Pending(RunResult(time.perf_counter()), loop.create_future(), fragment_id)
        pending.wire_start = self._ws.wire_bytes
        self._pending = pending
        self._new_session_since_rerun = False
        try:
            await self._ws.send(msg.SerializeToString())
        except ConnectionClosed as err:
            raise Disconnected(repr(err)) from err
        return pending

    # -- what the server sends

    async def _receive(self, ws: _CountingConnection) -> None:
        reason = "closed by the server"
        try:
            async for data in ws:
                if isinstance(data, str):
                    self._fail(ProtocolError("protocol", "text frame"))
                    continue
                self._on_message(data, ws)
        except ConnectionClosed as err:
            reason = repr(err)
        except Exception as err:  # a bug here must not hang the student
            reason = f"client error {err!r}"
        if not self._closing:
            self._fail(Disconnected(reason))

    def _fail(self, error: ProtocolError) -> None:
        pending = self._pending
        if pending is not None and not pending.done.done():
            pending.done.set_exception(error)
        elif not isinstance(error, Disconnected):  # an idle tab notices at its next rerun
            self.unexpected.append(error)

    def _on_message(self, raw: bytes, ws: _CountingConnection) -> None:
        self._last_message_at = time.perf_counter()
        self.payload_bytes += len(raw)
        msg, from_cache = self.cache.process(ForwardMsg.FromString(raw), raw)
        pending = self._pending
        result = pending.result if pending is not None and not pending.done.done() else None
        if result is not None:
            result.payload_bytes += len(raw)
            result.messages += 1
            result.cache_hits += from_cache > 0
            result.cache_bytes += from_cache
        if msg is None:
            if result is not None:
                result.cache_misses += 1
            else:
                self.unexpected.append(ProtocolError("cache_miss"))
            return
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            ns = msg.new_session
            self.session_id = ns.initialize.session_id or self.session_id
            self.page_script_hash = ns.page_script_hash or self.page_script_hash
            self.max_cached_age = ns.config.max_cached_message_age or self.max_cached_age
            if not msg.metadata.run.fragment_ids:
                self._run_widgets = {}
            self._new_session_since_rerun = True
        elif kind == "navigation":
            self.page_script_hash = msg.navigation.page_script_hash or self.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "delta":
            self._on_delta(msg, result, from_cache > 0)
        elif kind == "page_not_found":
            self._fail(ProtocolError("page_not_found", msg.page_not_found.page_name))
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            exc = msg.session_event.script_compilation_exception
            if result is not None:
                result.exceptions.append(f"{exc.type}: {exc.message}"[:300])
        elif kind == "script_finished":
            self._on_finished(msg, pending, ws)

    def _on_delta(self, msg: ForwardMsg, result: RunResult | None, cached: bool) -> None:
        delta = msg.delta
        if delta.WhichOneof("type") == "add_block":
            block = delta.add_block
            if block.WhichOneof("type") == "expandable" and block.expandable.id:
                w = Widget(block.expandable.id, "expander", block.expandable, delta.fragment_id)
                self._see(w, lambda: WidgetState(id=w.id, bool_value=block.expandable.expanded))
            return
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        etype = element.WhichOneof("type") or ""
        if result is not None:
            result.elements[etype] += 1
            if etype == "plotly_chart":
                result.charts += 1
                result.charts_from_cache += cached
            elif etype == "exception":
                result.exceptions.append(
                    f"{element.exception.type}: {element.exception.message}"[:300]
                )
            elif etype == "alert" and element.alert.format == element.alert.ERROR:
                result.error_alerts.append(element.alert.body[:300])
        widget = widget_of(element, delta.fragment_id)
        if widget is not None:
            self._see(widget, lambda: initial_state(widget))

    def _see(self, w: Widget, state: Any) -> None:
        self._run_widgets[w.id] = w
        if w.id not in self.states or getattr(w.proto, "set_value", False):
            initial = state()
            if initial is not None:
                self.states[w.id] = initial

    def _on_finished(
        self, msg: ForwardMsg, pending: _Pending | None, ws: _CountingConnection
    ) -> None:
        status = msg.script_finished
        run = msg.metadata.run
        if (
            status != ForwardMsg.FINISHED_EARLY_FOR_RERUN
            and self._new_session_since_rerun
            and msg.metadata.HasField("run")
        ):
            self.cache.increment_run_count(self.max_cached_age, list(run.fragment_ids))
        if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            return
        if run.fragment_ids:
            kept = {i: w for i, w in self.widgets.items() if w.fragment_id not in run.fragment_ids}
            self.widgets = kept | self._run_widgets
        else:
            self.widgets = dict(self._run_widgets)
        self.states = {i: s for i, s in self.states.items() if i in self.widgets}
        if pending is None or pending.done.done():
            return
        if not self._new_session_since_rerun:
            # The end of a run that started before this rerun was sent (after a reconnect the
            # server flushes what the dropped socket missed); this rerun's run is still to come.
            return
        result = pending.result
        result.finished_at = time.perf_counter()
        result.status = status
        result.wire_bytes = ws.wire_bytes - pending.wire_start
        result.query_string = self.query_string
        pending.done.set_result(result)

    # -- helpers for a learner

    def changeable(self, keys: Iterable[str] | None = None) -> list[Widget]:
        """The widgets of the page a learner can change (of ``keys``, sorted by key)."""
        wanted = None if keys is None else set(keys)
        found = [
            w
            for w in self.widgets.values()
            if w.kind in CHANGEABLE
            and not w.disabled
            and w.id in self.states
            and w.key is not None
            and (wanted is None or w.key in wanted)
        ]
        return sorted(found, key=lambda w: str(w.key))
