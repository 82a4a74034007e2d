"""The class simulator: N students on one Descent Lab server, over WebSocket as browsers do.

    python benchmarks/load.py --students 30 --duration 60 --mode independent --start-server \\
        --seed 0 --json out.json
    python benchmarks/load.py --students 10,30,50 --mode independent,shared --start-server
    python benchmarks/load.py --phase independent:30 --phase shared:50 --url http://127.0.0.1:8501

Each student opens a lesson from a link, waits for the page's script run to finish (the
page-open time), then in a closed loop thinks (mean 2.5 s, exponential or uniform, seeded),
changes one control — a widget the server drew, to a value one to three notches away — and
waits for the rerun to finish (the latency). Students are spread over ``LESSONS`` in turn and
arrive within ``--ramp`` seconds. The protocol (handshake, widget states, the message cache) is
in ``benchmarks/ws_protocol.py``.

Modes:
  independent  each student's link is its own: a random preset of the lesson with three
               controls nudged (declared ranges, steps and log grids of ``LESSON``) and a random
               seed; each student then changes its own controls.
  shared       one link for the whole class (the lesson's defaults), and every student of a
               lesson makes the same sequence of changes at its own pace, as a class following
               the teacher does.

The report (JSON, and a table on stdout) has, per phase (mode × students), overall and per
lesson: change→finished latency p50/p95/max, page-open time, reruns/s, errors by kind,
timeouts (> ``--timeout``), bytes per rerun (and what the message cache saved), whether each
change reached the URL, and the server's RSS and CPU summed over its process and all its
children (from /proc), with the machine's load average.

Safe by construction: loopback targets only (unless ``--allow-remote``), at most
``MAX_STUDENTS`` students and ``MAX_DURATION`` seconds per phase, a hard wall-clock cap, and it
stops only the server it started (its own process group).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import ipaddress
import itertools
import json
import logging
import math
import os
import random
import resource
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.logger import get_logger  # noqa: E402

from benchmarks.ws_protocol import (  # noqa: E402
    BrowserTab,
    Disconnected,
    ProtocolError,
    RunResult,
    Widget,
    nudge,
    state_value,
)
from tests import dockerfile  # noqa: E402

# The lessons' modules are imported here only for their declarations; their st.cache_data
# would log "No runtime found" once per function.
get_logger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)

from i18n import DEFAULT as DEFAULT_LANGUAGE  # noqa: E402
from i18n import LANGUAGES, language  # noqa: E402
from i18n import _ as translate  # noqa: E402
from ui.params import Lesson, Param  # noqa: E402


@dataclass(frozen=True)
class LessonRef:
    """A lesson page: its URL path and the module that declares its ``LESSON``."""

    path: str
    module: str

    @property
    def lesson(self) -> Lesson:
        lesson: Lesson = importlib.import_module(self.module).LESSON
        return lesson


# Every lesson page, one line each; students are spread over them in this order.
LESSONS: tuple[LessonRef, ...] = (
    LessonRef("rolling_ball", "ui.rolling_ball.params"),
    LessonRef("race", "ui.race.params"),
    LessonRef("sum_or_mean", "ui.sum_or_mean.params"),
    LessonRef("training", "ui.training.params"),
    LessonRef("uncrumpling", "ui.uncrumpling.params"),
    LessonRef("backprop", "ui.backprop.params"),
)
SHARED_MODULE = "ui.settings"  # SHARED: the settings every page's link carries

MODES = ("independent", "shared")
MAX_STUDENTS = 200
MAX_DURATION = 1800.0  # seconds per phase
MAX_PHASES = 12
NUDGED_IN_LINK = 3  # controls an independent student's link moves away from its preset
GROWTH_RERUNS = 500  # the server's memory growth is measured over a phase's last 500 reruns


# ---------------------------------------------------------------------------------- links


def shared_lesson() -> Lesson:
    lesson: Lesson = importlib.import_module(SHARED_MODULE).SHARED
    return lesson


def nudge_param(p: Param, value: Any, rng: random.Random) -> Any:
    """A valid value of ``p`` near ``value``: another choice, the other boolean, or one to
    three notches of its step (the log grid of a log slider), inside the declared range."""
    if p.kind == "bool":
        return not value
    if p.kind == "choice":
        return rng.choice([c for c in p.choices if c != value] or [value])
    k = rng.choice((1, 1, 2, 3)) * rng.choice((-1, 1))
    low = -math.inf if p.low is None else p.low
    high = math.inf if p.high is None else p.high
    if p.widget == "log_slider":
        from ui.widgets import log_options

        grid = log_options(p, float(value))
        i = min(max(grid.index(float(value)) + k, 0), len(grid) - 1)
        return grid[i]
    step = p.step or (
        1 if p.kind == "int" else (high - low) / 100 if math.isfinite(high - low) else 0.1
    )
    for steps in (k, -k):
        target = round(value + steps * step, 10)
        if low <= target <= high:
            return round(target) if p.kind == "int" else float(target)
    return value


def link_query(lesson: Lesson, mode: str, rng: random.Random, lang: str = "en") -> str:
    """The query string of a student's link (every parameter, as the app writes it), in the
    language ``lang`` (``"mixed"``: each student's link one of the offered languages)."""
    shared = shared_lesson()
    languages = [c for c in LANGUAGES if lang in ("mixed", c)] or [DEFAULT_LANGUAGE]
    if mode == "shared":
        common = shared.defaults() | ({"lang": languages[0]} if "lang" in shared.keys else {})
        return urlencode(lesson.encode(lesson.defaults()) | shared.encode(common))
    values = (
        lesson.preset_values(rng.choice(list(lesson.presets)))
        if lesson.presets
        else lesson.defaults()
    )
    movable = [p for p in lesson.params if p.kind != "text"]  # text is set by clicks
    for p in rng.sample(movable, k=min(NUDGED_IN_LINK, len(movable))):
        values[p.key] = p.coerce(nudge_param(p, values[p.key], rng))
    common = shared.defaults()
    seed = next((p for p in shared.params if p.key == "seed"), None)
    if seed is not None and seed.high is not None:
        common["seed"] = rng.randint(int(seed.low or 0), int(seed.high))
    if "lang" in shared.keys:
        common["lang"] = languages[0] if len(languages) == 1 else rng.choice(languages)
    return urlencode(lesson.encode(values) | shared.encode(common))


# ------------------------------------------------------------------------------ a student


@dataclass
class Change:
    key: str
    kind: str
    seconds: float | None  # None: never finished
    finished_at: float
    timed_out: bool
    applied: bool
    result: RunResult | None


@dataclass
class Student:
    index: int
    lesson: str
    query: str
    open_seconds: float | None = None
    open_finished_at: float = 0.0
    open_bytes: int = 0
    open_timed_out: bool = False
    changes: list[Change] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    error_alerts: int = 0
    reconnects: int = 0
    connect_retries: int = 0
    upstreams: list[str] = field(default_factory=list)


@dataclass
class Config:
    base_url: str
    mode: str
    students: int
    duration: float
    ramp: float
    think: float
    jitter: str
    timeout: float
    open_timeout: float
    seed: int
    fetch_assets: bool
    lessons: tuple[LessonRef, ...]
    controls: tuple[str, ...] = ()  # only these widget keys are changed (empty: any)
    lang: str = "en"  # the students' language: en, pl, zh, or mixed


def think_time(rng: random.Random, mean: float, jitter: str) -> float:
    if jitter == "uniform":
        return rng.uniform(0.5 * mean, 1.5 * mean)
    return max(0.1, rng.expovariate(1.0 / mean))


def expected(param: Param, w: Widget, state: Any, lang: str = DEFAULT_LANGUAGE) -> Any:
    """The parameter value a widget state stands for (what the URL should say next). A menu's
    state is the option's label as the page showed it, in the student's language ``lang``."""
    value = state_value(state)
    if isinstance(value, list):
        value = value[0]
    if isinstance(value, bool):
        raw = "true" if value else "false"
    elif param.kind == "int":
        raw = str(round(float(value)))
    elif isinstance(value, float):
        raw = repr(value)
    else:
        raw = str(value)
    if param.kind == "choice" and param.labels and param.translate_labels:
        with language(lang):
            shown = [translate(label) for label in param.labels]
        if raw in shown:
            return param.choices[shown.index(raw)]
    return param.parse(raw)


def same(param: Param, a: Any, b: Any) -> bool:
    if param.kind == "float":
        return math.isclose(float(a), float(b), rel_tol=1e-5, abs_tol=1e-12)
    return bool(a == b)


def reached_url(param: Param, want: Any, query: str) -> bool:
    got = dict(parse_qsl(query)).get(param.key)
    if got is None:
        return False
    try:
        return same(param, param.parse(got), want)
    except ValueError:
        return False


class StudentRunner:
    """One student's session: open the link, then change, wait, think, until the deadline."""

    def __init__(
        self, cfg: Config, index: int, ref: LessonRef, start: float, deadline: float
    ) -> None:
        self.cfg, self.ref = cfg, ref
        self.lesson = ref.lesson
        tag = f"{cfg.seed}/{cfg.mode}/{cfg.students}/{index}"
        self.rng_link = random.Random(f"link/{tag}")
        self.rng_think = random.Random(f"think/{tag}")
        self.rng_change = random.Random(f"change/{tag}")
        self._again: Any = None  # the rerun asked for again after a reconnect
        self.start, self.deadline = start, deadline
        self.hard_deadline = deadline + cfg.timeout + 1.0
        query = link_query(self.lesson, cfg.mode, self.rng_link, cfg.lang)
        self.record = Student(index, ref.path, query)
        self.tab = BrowserTab(
            cfg.base_url,
            ref.path,
            query,
            open_timeout=cfg.open_timeout,
            fetch_assets=cfg.fetch_assets,
        )

    def change_rng(self, k: int) -> random.Random:
        if self.cfg.mode == "shared":  # the whole class makes the same k-th change
            return random.Random(f"change/{self.cfg.seed}/shared/{self.ref.path}/{k}")
        return self.rng_change

    def error(self, kind: str, detail: str = "") -> None:
        self.record.errors.append((kind, detail[:300]))

    async def run(self) -> Student:
        try:
            await asyncio.sleep(max(0.0, self.start - time.perf_counter()))
            if await self.open_page():
                await self.loop()
        except ProtocolError as err:
            self.error(err.kind, err.detail)
        except Exception as err:  # a simulator bug: report it, never hang the phase
            self.error("client_bug", repr(err))
        finally:
            for problem in self.tab.unexpected:
                self.error(problem.kind, problem.detail)
            self.tab.unexpected.clear()
            await self.tab.close()
        return self.record

    async def open_page(self) -> bool:
        t0 = time.perf_counter()
        try:
            pending = await asyncio.wait_for(self.tab.open(), self.cfg.open_timeout)
        except TimeoutError:
            self.error("open_failed", f"not connected within {self.cfg.open_timeout:g} s")
            return False
        finally:
            self.record.connect_retries = self.tab.connect_retries
            self.record.upstreams = self.tab.upstreams
        pending.result.sent_at = t0
        limit = min(t0 + self.cfg.open_timeout, self.hard_deadline)
        result, timed_out = await self.wait(pending, limit)
        self.record.open_timed_out = timed_out
        if result is None:
            self.error("open_unfinished", f"no script_finished within {limit - t0:.0f} s")
            return False
        self.record.open_seconds = result.seconds
        self.record.open_finished_at = result.finished_at
        self.record.open_bytes = result.payload_bytes + self.tab.http_bytes
        self.check(result, "open")
        return result.status is not None

    async def loop(self) -> None:
        k = 0
        while True:
            pause = think_time(self.rng_think, self.cfg.think, self.cfg.jitter)
            if time.perf_counter() + pause >= self.deadline:
                return
            await asyncio.sleep(pause)
            rng = self.change_rng(k)
            k += 1
            keys = [k for k in self.lesson.keys if not self.cfg.controls or k in self.cfg.controls]
            candidates = self.tab.changeable(keys)
            if not candidates:
                self.error("no_control", f"no changeable control of {self.ref.path}")
                return
            w = rng.choice(candidates)
            new = nudge(w, self.tab.states[w.id], rng)
            if new is None:
                continue
            assert w.key is not None
            param = self.lesson.param(w.key)
            want = expected(param, w, new, dict(parse_qsl(self.record.query)).get("lang", "en"))
            if not self.tab.connected:  # the socket dropped while the student was thinking
                self.error("disconnected", "between reruns")
                if not await self.reconnect(None, self.deadline):
                    return
            pending = await self.tab.send_rerun({w.id: new}, fragment_id=w.fragment_id)
            sent = pending.result.sent_at
            result, timed_out = await self.wait(pending, self.hard_deadline)
            if result is None:
                self.record.changes.append(Change(w.key, w.kind, None, 0.0, True, False, None))
                return  # the phase is over and this rerun never finished
            applied = reached_url(param, want, result.query_string)
            self.record.changes.append(
                Change(
                    w.key,
                    w.kind,
                    result.finished_at - sent,
                    result.finished_at,
                    timed_out,
                    applied,
                    result,
                )
            )
            self.check(result, "change")

    async def wait(self, pending: Any, limit: float) -> tuple[RunResult | None, bool]:
        """The finished run (None if it did not finish before ``limit``) and whether it took
        longer than the timeout. A dropped socket is reconnected as the frontend does."""
        timeout_at = pending.result.sent_at + self.cfg.timeout
        timed_out = False
        while True:
            until = limit if timed_out else min(timeout_at, limit)
            try:
                result = await asyncio.wait_for(
                    asyncio.shield(pending.done), max(0.0, until - time.perf_counter())
                )
                return result, timed_out or result.seconds > self.cfg.timeout
            except TimeoutError:
                if timed_out or until >= limit:
                    return None, True
                timed_out = True
            except Disconnected as err:
                self.error("disconnected", err.detail)
                if not await self.reconnect(pending, limit):
                    return None, timed_out
                pending = self._again

    async def reconnect(self, pending: Any, limit: float) -> bool:
        """Reconnect as the frontend does (backing off); if ``pending`` was under way, its rerun
        is asked for again and continues as ``self._again``. False if it gave up."""
        for delay in (0.25, 0.5, 1.0, 2.0, 4.0):
            if time.perf_counter() + delay >= limit:
                break
            await asyncio.sleep(delay)
            try:
                self._again = await self.tab.reconnect(pending)
            except ProtocolError:
                continue
            self.record.reconnects += 1
            return True
        self.error("reconnect_failed", "gave up reconnecting")
        return False

    def check(self, result: RunResult, what: str) -> None:
        if result.status not in (0, 3):  # FINISHED_SUCCESSFULLY, FINISHED_FRAGMENT_RUN_...
            self.error("script_error", f"{what} finished with status {result.status}")
        for text in result.exceptions:
            self.error("app_exception", f"{what}: {text}")
        if result.cache_misses:
            self.error("cache_miss", f"{what}: {result.cache_misses} references not in cache")
        self.record.error_alerts += len(result.error_alerts)


# ---------------------------------------------------------------------------- the server


def is_loopback(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def free_port() -> int:
    return dockerfile.free_port()


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


class StartedServer:
    """The app server this tool started (its own process group), and only that."""

    def __init__(self, command: str | None, stage: bool, log: Path | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        image = dockerfile.parse()
        self.env = dockerfile.environment(image)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if command:
            self.argv = [a.format(port=self.port) for a in shlex.split(command)]
            self.cwd = ROOT
        else:
            if stage:  # the image's files only, frozen for the run (others may edit the tree)
                self._tmp = tempfile.TemporaryDirectory(prefix="descent-lab-load-")
                self.cwd = dockerfile.stage(image, Path(self._tmp.name) / "app")
            else:
                self.cwd = ROOT
            self.argv = dockerfile.command(image, self.port)
        self.log_path = log or Path(tempfile.gettempdir()) / f"descent-lab-load-{self.port}.log"
        self.keep_log = log is not None  # the default log goes once the server stopped cleanly
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, wait: float = 120.0) -> None:
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.keep_log = True
                raise RuntimeError(
                    f"the server exited ({self.proc.returncode}); see {self.log_path}"
                )
            if healthy(self.url):
                return
            time.sleep(0.3)
        self.keep_log = True
        raise RuntimeError(f"the server was not healthy within {wait:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # the group it leads: what we started
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        if not self.keep_log:
            self.log_path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- /proc monitor

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds incl. reaped children) of ``pid``."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    ppid = int(fields[1])
    ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return ppid, ticks / CLOCK_TICKS


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st is not None:
                parents.setdefault(st[0], []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += parents.get(pid, [])
    return tree


def listening_pid(port: int) -> int | None:
    """The topmost process holding a listening TCP socket on ``port`` (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                f = line.split()
                if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{f[9]}]")
    pids = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{entry}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{entry}/fd/{fd}") in inodes:
                        pids.add(int(entry))
                        break
    for pid in pids:
        st = _stat(pid)
        if st is not None and st[0] not in pids:
            return pid
    return None


@dataclass
class Sample:
    t: float
    rss: int
    cpu: float
    procs: int
    load1: float


class Monitor:
    """Samples the server's process tree (RSS, CPU) and the load average in the background."""

    def __init__(self, root: int | None, interval: float = 0.5) -> None:
        self.root, self.interval = root, interval
        self.samples: list[Sample] = []
        self._stop = asyncio.Event()

    def sample(self) -> Sample:
        pids = process_tree(self.root) if self.root else []
        cpu = sum(s[1] for s in (_stat(p) for p in pids) if s is not None)
        s = Sample(
            time.perf_counter(), sum(_rss(p) for p in pids), cpu, len(pids), os.getloadavg()[0]
        )
        self.samples.append(s)
        return s

    async def run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)

    def stop(self) -> None:
        self._stop.set()

    async def settle(self, below: float, longest: float) -> float:
        """Wait until the server uses less than ``below`` cores over 2 s (the runs of the last
        phase's students, which outlive their sockets, are done); return the seconds waited."""
        t0 = time.perf_counter()
        if not self.root:
            return 0.0
        while time.perf_counter() - t0 < longest:
            a = self.sample()
            await asyncio.sleep(2.0)
            b = self.sample()
            if (b.cpu - a.cpu) / (b.t - a.t) < below:
                break
        return time.perf_counter() - t0

    def growth(self, finished: list[float], last: int) -> dict[str, Any]:
        """How much the server's memory grew over the phase's ``last`` reruns: its peak RSS
        after the rerun that began them finished, less its peak RSS until then (the caches'
        fill before is not counted; a leak or an unbounded cache shows here). Empty with
        fewer than 2 · ``last`` reruns (no steady state to measure from)."""
        if len(finished) < 2 * last or not self.root or not self.samples:
            return {}
        split = sorted(finished)[-last - 1]
        before = [s.rss for s in self.samples if s.t <= split]
        after = [s.rss for s in self.samples if s.t > split]
        if not before or not after:
            return {}
        mb = 1024 * 1024
        return {f"rss_mb_growth_last_{last}": round((max(after) - max(before)) / mb, 1)}

    def between(self, t0: float, t1: float) -> dict[str, Any]:
        window = [s for s in self.samples if t0 <= s.t <= t1]
        if len(window) < 2 or not self.root:
            return {}
        cores = []
        for a, b in itertools.pairwise(window):
            if b.t > a.t:
                cores.append(max(0.0, b.cpu - a.cpu) / (b.t - a.t))
        span = window[-1].t - window[0].t
        mb = 1024 * 1024
        return {
            "rss_mb_start": round(window[0].rss / mb, 1),
            "rss_mb_peak": round(max(s.rss for s in window) / mb, 1),
            "rss_mb_end": round(window[-1].rss / mb, 1),
            "cpu_cores_mean": round(max(0.0, window[-1].cpu - window[0].cpu) / span, 3),
            "cpu_cores_p95": round(percentile(cores, 95), 3),
            "processes": max(s.procs for s in window),
            "loadavg1_max": round(max(s.load1 for s in window), 2),
        }


# -------------------------------------------------------------------------------- reports


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile by linear interpolation (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def spread(values: list[float]) -> dict[str, float | int]:
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 3),
        "p95": round(percentile(values, 95), 3),
        "max": round(max(values), 3) if values else 0.0,
        "mean": round(statistics.fmean(values), 3) if values else 0.0,
    }


def summarize(records: list[Student], t0: float, t1: float) -> dict[str, Any]:
    """The figures of a group of students over the window [t0, t1]."""
    window = max(t1 - t0, 1e-9)
    changes = [c for r in records for c in r.changes]
    done = [c for c in changes if c.seconds is not None and c.result is not None]
    results = [c.result for c in done if c.result is not None]
    opens = [r.open_seconds for r in records if r.open_seconds is not None]
    in_window = [c for c in done if c.finished_at <= t1]
    opens_in_window = [
        r for r in records if r.open_seconds is not None and r.open_finished_at <= t1
    ]
    kinds = Counter(kind for r in records for kind, _ in r.errors)
    samples = [f"{kind}: {detail}" for r in records for kind, detail in r.errors][:8]
    n = max(len(results), 1)
    return {
        "students": len(records),
        "changes_sent": len(changes),
        "reruns": len(done),
        "reruns_per_s": round(len(in_window) / window, 3),
        "script_runs_per_s": round((len(in_window) + len(opens_in_window)) / window, 3),
        "latency_s": spread([c.seconds for c in done if c.seconds is not None]),
        "page_open_s": spread(opens),
        "timeouts": sum(c.timed_out for c in changes),
        "unfinished": sum(c.seconds is None for c in changes),
        "page_open_timeouts": sum(r.open_timed_out for r in records),
        "errors": sum(kinds.values()),
        "error_kinds": dict(kinds),
        "error_samples": samples,
        "not_applied": sum(not c.applied for c in done),
        "reconnects": sum(r.reconnects for r in records),
        "connect_retries": sum(r.connect_retries for r in records),
        "error_alerts_shown": sum(r.error_alerts for r in records),
        "bytes_per_rerun": round(sum(r.payload_bytes for r in results) / n),
        "wire_bytes_per_rerun": round(sum(r.wire_bytes for r in results) / n),
        "cache_bytes_per_rerun": round(sum(r.cache_bytes for r in results) / n),
        "cache_hits_per_rerun": round(sum(r.cache_hits for r in results) / n, 3),
        "charts_per_rerun": round(sum(r.charts for r in results) / n, 3),
        "page_open_bytes_mean": round(
            statistics.fmean([r.open_bytes for r in records if r.open_seconds is not None] or [0])
        ),
        "changed_controls": dict(Counter(c.kind for c in changes)),
        "latency_by_control_s": {
            key: spread([c.seconds for c in done if c.key == key and c.seconds is not None])
            for key in sorted({c.key for c in done})
        },
    }


async def run_phase(cfg: Config, monitor: Monitor) -> dict[str, Any]:
    if cfg.mode not in MODES:
        raise ValueError(f"mode {cfg.mode!r} is not one of {MODES}")
    if not 1 <= cfg.students <= MAX_STUDENTS:
        raise ValueError(f"students must be 1…{MAX_STUDENTS}")
    if not 0 < cfg.duration <= MAX_DURATION:
        raise ValueError(f"duration must be in (0, {MAX_DURATION:.0f}] s")
    load_start = os.getloadavg()
    usage0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    monitor.sample()
    t0 = time.perf_counter() + 0.2
    deadline = t0 + cfg.duration
    arrivals = random.Random(f"arrive/{cfg.seed}/{cfg.mode}/{cfg.students}")
    runners = [
        StudentRunner(
            cfg,
            i,
            cfg.lessons[i % len(cfg.lessons)],
            t0 + arrivals.uniform(0, min(cfg.ramp, cfg.duration / 2)),
            deadline,
        )
        for i in range(cfg.students)
    ]
    cap = cfg.duration + cfg.open_timeout + cfg.timeout + 30
    tasks = [asyncio.create_task(r.run()) for r in runners]
    _, late = await asyncio.wait(tasks, timeout=cap)
    for task in late:  # the hard cap: nothing outlives its phase
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    records = [r.record for r in runners]
    for task, runner in zip(tasks, runners, strict=True):
        if task in late:
            runner.record.errors.append(("hung", "cancelled at the phase's hard cap"))
    t1 = deadline
    monitor.sample()
    usage1, wall1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    client_cpu = usage1.ru_utime + usage1.ru_stime - usage0.ru_utime - usage0.ru_stime
    finished = [c.finished_at for r in records for c in r.changes if c.seconds is not None]
    lessons = {
        ref.path: summarize([r for r in records if r.lesson == ref.path], t0, t1)
        for ref in cfg.lessons
        if any(r.lesson == ref.path for r in records)
    }
    return {
        "mode": cfg.mode,
        "students": cfg.students,
        "duration_s": cfg.duration,
        "window_s": round(t1 - t0, 2),
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "overall": summarize(records, t0, t1),
        "lessons": lessons,
        "server": monitor.between(t0 - 0.5, time.perf_counter())
        | monitor.growth(finished, GROWTH_RERUNS),
        "client_cpu_cores": round(client_cpu / max(wall1 - wall0, 1e-9), 3),
        "links": {
            ref.path: next((r.query for r in records if r.lesson == ref.path), "")
            for ref in cfg.lessons
        },
        "per_student": [
            {
                "index": r.index,
                "lesson": r.lesson,
                "open_s": None if r.open_seconds is None else round(r.open_seconds, 3),
                "reruns": sum(c.seconds is not None for c in r.changes),
                "applied": sum(c.applied for c in r.changes),
                "errors": len(r.errors),
                "timeouts": sum(c.timed_out for c in r.changes),
                "error_kinds": sorted({kind for kind, _ in r.errors}),
                "reconnects": r.reconnects,
                "upstreams": r.upstreams,
                "not_applied": sorted({c.key for c in r.changes if not c.applied}),
                # [finished at (s into the phase), seconds (None: never finished), control]
                "changes": [
                    [
                        round(c.finished_at - t0, 2),
                        None if c.seconds is None else round(c.seconds, 3),
                        c.key,
                    ]
                    for c in r.changes
                ],
            }
            for r in records
        ],
        "_latencies": [c.seconds for r in records for c in r.changes if c.seconds is not None],
    }


def table_row(phase: dict[str, Any]) -> dict[str, Any]:
    o, s = phase["overall"], phase["server"]
    return {
        "mode": phase["mode"],
        "students": phase["students"],
        "reruns_per_s": o["reruns_per_s"],
        "p50_s": o["latency_s"]["p50"],
        "p95_s": o["latency_s"]["p95"],
        "max_s": o["latency_s"]["max"],
        "open_p50_s": o["page_open_s"]["p50"],
        "timeouts": o["timeouts"],
        "errors": o["errors"],
        "cpu_cores": s.get("cpu_cores_mean"),
        "rss_mb_peak": s.get("rss_mb_peak"),
        "rss_mb_growth": s.get(f"rss_mb_growth_last_{GROWTH_RERUNS}"),
        "kb_per_rerun": round(o["bytes_per_rerun"] / 1024, 1),
        "loadavg1_max": s.get("loadavg1_max"),
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    cols = list(rows[0]) if rows else []
    print(" | ".join(cols))
    for row in rows:
        print(" | ".join(str(row[c]) for c in cols))


def merge(phases: list[dict[str, Any]]) -> dict[str, Any]:
    """Latency figures over several phases (the change latencies pooled)."""
    latencies: list[float] = []
    for p in phases:
        latencies += p["_latencies"]
    return {
        "phases": len(phases),
        "latency_s": spread(latencies),
        "timeouts": sum(p["overall"]["timeouts"] for p in phases),
        "errors": sum(p["overall"]["errors"] for p in phases),
        "reruns": sum(p["overall"]["reruns"] for p in phases),
    }


# ------------------------------------------------------------------------------------ CLI


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--students", default="30", help="count, or a list: 10,30,50")
    ap.add_argument(
        "--mode",
        default="independent",
        help="independent, shared, or both: independent,shared (every mode × every student count)",
    )
    ap.add_argument(
        "--phase",
        action="append",
        default=[],
        metavar="MODE:N",
        help="run these phases instead of --mode × --students (repeatable)",
    )
    ap.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    ap.add_argument("--lang", choices=(*LANGUAGES, "mixed"), default="en",
                    help="the students' language (mixed: each a random one)")  # fmt: skip
    ap.add_argument("--ramp", type=float, default=5.0, help="students arrive within this")
    ap.add_argument("--think", type=float, default=2.5, help="mean think time, seconds")
    ap.add_argument("--jitter", choices=("exponential", "uniform"), default="exponential")
    ap.add_argument("--timeout", type=float, default=10.0, help="a rerun slower is a timeout")
    ap.add_argument("--open-timeout", type=float, default=60.0, help="give up opening a page")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--lessons",
        default="",
        help="comma-separated subset of: " + ",".join(r.path for r in LESSONS),
    )
    ap.add_argument(
        "--controls",
        default="",
        help="comma-separated widget keys: students change only these (e.g. the controls "
        "that do not retrain: tr_x,tr_disc,tr_progress,tr_step)",
    )
    target = ap.add_mutually_exclusive_group()
    target.add_argument("--url", default="", help="a running server (loopback)")
    target.add_argument(
        "--start-server",
        action="store_true",
        help="start `streamlit run app.py` with the Dockerfile's ENV on a free "
        "port (from a copy of the image's files) and stop it at the end",
    )
    ap.add_argument(
        "--server-cmd",
        "--workers-cmd",
        dest="server_cmd",
        default="",
        help="with --start-server: this command instead ({port} is replaced), "
        "e.g. 'deploy/serve --port {port} --workers 2'",
    )
    ap.add_argument(
        "--no-stage",
        action="store_true",
        help="with --start-server: run from the working tree, not a frozen copy",
    )
    ap.add_argument(
        "--server-pid",
        type=int,
        default=0,
        help="the process tree to measure (default: the server started, or the "
        "process listening on --url's port)",
    )
    ap.add_argument(
        "--assets",
        action="store_true",
        help="also fetch the JS/CSS the page references (a first visit)",
    )
    ap.add_argument("--pause", type=float, default=3.0, help="seconds between phases")
    ap.add_argument(
        "--settle-cpu",
        type=float,
        default=0.15,
        help="between phases, wait until the server uses less than this many cores",
    )
    ap.add_argument("--settle-max", type=float, default=120.0, help="… but at most this long")
    ap.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --url")
    ap.add_argument("--json", default="", help="write the report here")
    ap.add_argument("--server-log", default="", help="the started server's output")
    return ap.parse_args(argv)


def plan(args: argparse.Namespace) -> list[tuple[str, int]]:
    if args.phase:
        phases = []
        for spec in args.phase:
            mode, _, n = spec.partition(":")
            phases.append((mode.strip(), int(n)))
    else:
        modes = [m.strip() for m in args.mode.split(",") if m.strip()]
        counts = [int(n) for n in str(args.students).split(",") if n.strip()]
        phases = [(m, n) for m in modes for n in counts]
    if not 1 <= len(phases) <= MAX_PHASES:
        raise SystemExit(f"from 1 to {MAX_PHASES} phases, got {len(phases)}")
    for mode, n in phases:
        if mode not in MODES:
            raise SystemExit(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        if not 1 <= n <= MAX_STUDENTS:
            raise SystemExit(f"students must be from 1 to {MAX_STUDENTS}, got {n}")
    return phases


async def run_all(
    args: argparse.Namespace, base_url: str, root_pid: int | None, phases: list[tuple[str, int]]
) -> list[dict[str, Any]]:
    wanted = [s.strip() for s in args.lessons.split(",") if s.strip()]
    lessons = tuple(r for r in LESSONS if not wanted or r.path in wanted)
    if not lessons:
        raise SystemExit(f"no lesson among {wanted}")
    monitor = Monitor(root_pid)
    sampler = asyncio.create_task(monitor.run())
    results = []
    try:
        for i, (mode, n) in enumerate(phases):
            settled = 0.0
            if i:
                await asyncio.sleep(args.pause)
                settled = await monitor.settle(args.settle_cpu, args.settle_max)
            cfg = Config(
                base_url,
                mode,
                n,
                args.duration,
                args.ramp,
                args.think,
                args.jitter,
                args.timeout,
                args.open_timeout,
                args.seed,
                args.assets,
                lessons,
                tuple(k.strip() for k in args.controls.split(",") if k.strip()),
                args.lang,
            )
            print(
                f"== phase {i + 1}/{len(phases)}: {n} students, {mode}, {args.duration:g} s",
                file=sys.stderr,
                flush=True,
            )
            phase = await run_phase(cfg, monitor)
            phase["settle_before_s"] = round(settled, 1)
            results.append(phase)
            print(json.dumps(table_row(phase)), file=sys.stderr, flush=True)
    finally:
        monitor.stop()
        await sampler
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.duration > MAX_DURATION or args.duration <= 0:
        raise SystemExit(f"--duration must be in (0, {MAX_DURATION:.0f}]")
    phases = plan(args)
    server: StartedServer | None = None
    started = time.time()
    load_start = os.getloadavg()
    per_phase = args.duration + args.open_timeout + args.timeout + 30 + args.pause + args.settle_max
    hard_cap = len(phases) * per_phase
    killer = threading.Timer(hard_cap + 180, _hard_stop, args=(lambda: server,))
    killer.daemon = True
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.start_server:
            server = StartedServer(
                args.server_cmd or None,
                not args.no_stage,
                Path(args.server_log) if args.server_log else None,
            )
            server.start()
            base_url = server.url
            root_pid = args.server_pid or (server.proc.pid if server.proc else None)
        else:
            base_url = (args.url or "http://127.0.0.1:8501").rstrip("/")
            parts = urlsplit(base_url)
            if parts.scheme != "http" or not parts.hostname:
                raise SystemExit("--url must be http://host:port")
            if not args.allow_remote and not is_loopback(parts.hostname):
                raise SystemExit(
                    f"{parts.hostname} is not a loopback address; this tool loads "
                    "only this machine's servers (--allow-remote to override)"
                )
            if not healthy(base_url):
                raise SystemExit(f"{base_url}/_stcore/health does not answer")
            root_pid = args.server_pid or listening_pid(parts.port or 80)
        killer.start()
        results = asyncio.run(run_all(args, base_url, root_pid, phases))
    finally:
        killer.cancel()
        signal.signal(signal.SIGTERM, previous)
        if server is not None:
            server.stop()
    import streamlit

    report: dict[str, Any] = {
        "tool": "benchmarks/load.py",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
        "config": {k: v for k, v in vars(args).items() if k not in ("json",)},
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_start": [round(x, 2) for x in load_start],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        },
        "server": {
            "url": base_url,
            "started_here": server is not None,
            "command": server.argv if server else None,
            "measured_pid": root_pid,
            "streamlit": streamlit.__version__,
        },
        "table": [table_row(p) for p in results],
        "phases": results,
    }
    report["by_mode"] = {
        m: merge([p for p in results if p["mode"] == m])
        for m in dict.fromkeys(p["mode"] for p in results)
    }
    report["overall"] = merge(results)
    for p in results:
        del p["_latencies"]
    print_table(report["table"])
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return report


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _hard_stop(get_server: Any) -> None:
    """The wall-clock cap: stop the server this tool started, then exit."""
    print("load.py: hard time cap reached; stopping", file=sys.stderr, flush=True)
    server = get_server()
    if server is not None:
        server.stop()
    os._exit(3)


if __name__ == "__main__":
    main()
