"""The class simulator (benchmarks/load.py): a short real run, and the protocol it speaks."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState

from benchmarks import load
from benchmarks.ws_protocol import BrowserTab, MessageCache, _Cached, nudge, state_value


@pytest.fixture(scope="module")
def server() -> Iterator[load.StartedServer]:
    started = load.StartedServer(None, stage=True, log=None)
    started.start()
    yield started
    started.stop()


def test_a_short_class_run_changes_settings_without_errors(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    students = str(len(load.LESSONS))  # one on every lesson
    report = load.main(["--students", students, "--duration", "14", "--ramp", "1", "--think",
                        "1", "--start-server", "--seed", "0", "--json", str(out)])  # fmt: skip
    assert out.is_file()
    url = report["server"]["url"]
    assert not load.healthy(url), "the server it started must be stopped"
    (phase,) = report["phases"]
    o = phase["overall"]
    assert o["errors"] == 0, o["error_samples"]
    assert o["timeouts"] == 0 and o["unfinished"] == 0
    assert {s["lesson"] for s in phase["per_student"]} == {r.path for r in load.LESSONS}
    assert all(s["reruns"] >= 1 for s in phase["per_student"]), phase["per_student"]
    # Every change reached the URL the server wrote back: the simulator really changes settings.
    assert o["not_applied"] == 0 and all(s["applied"] == s["reruns"] for s in phase["per_student"])
    assert o["latency_s"]["p50"] > 0 and o["page_open_s"]["p50"] > 0
    assert o["bytes_per_rerun"] > 0 and o["charts_per_rerun"] > 0
    assert o["reruns_per_s"] > 0
    assert phase["server"]["rss_mb_peak"] > 50 and phase["server"]["cpu_cores_mean"] > 0
    assert len(phase["loadavg_start"]) == 3
    assert report["table"][0]["students"] == len(load.LESSONS)


def test_a_browser_tab_opens_a_link_changes_a_control_and_uses_the_message_cache(
    server: load.StartedServer,
) -> None:
    async def scenario() -> None:
        race = load.LESSONS[1]
        assert race.path == "race"
        query = load.link_query(race.lesson, "shared", random.Random(0))
        tab = BrowserTab(server.url, race.path, query)
        try:
            opened = await (await tab.open()).done
            assert opened.status == 0 and opened.charts >= 1 and not opened.exceptions
            assert tab.cookies.get("_streamlit_xsrf", "").startswith("2|")  # XSRF cookie
            assert tab.page_script_hash and tab.session_id
            toggle = next(w for w in tab.widgets.values() if w.key == "race_3d")
            assert "race_3d" in toggle.id and state_value(tab.states[toggle.id]) is False
            before = tab.query_string
            change = WidgetState(id=toggle.id, bool_value=True)
            rerun = await (await tab.send_rerun({change.id: change})).done
            assert rerun.status == 0
            assert rerun.query_string != before
            assert dict(parse_qsl(rerun.query_string))["race_3d"] == "true"
            assert rerun.charts == opened.charts + 1  # the 3-D view is a new chart
            # The unchanged animation came from the client's cache, not the network.
            assert rerun.cache_hits >= 1 and rerun.charts_from_cache >= 1
            assert rerun.payload_bytes < opened.payload_bytes / 2
            # A learner's change of any control reaches the URL.
            rng = random.Random(3)
            for _ in range(3):
                w = rng.choice(tab.changeable(race.lesson.keys))
                new = nudge(w, tab.states[w.id], rng)
                assert new is not None
                want = load.expected(race.lesson.param(str(w.key)), w, new)
                done = await (await tab.send_rerun({w.id: new}, fragment_id=w.fragment_id)).done
                assert load.reached_url(race.lesson.param(str(w.key)), want, done.query_string)
        finally:
            await tab.close()

    asyncio.run(scenario())


def test_a_tab_whose_socket_drops_reconnects_to_its_session_and_goes_on(
    server: load.StartedServer,
) -> None:
    async def scenario() -> None:
        ball = load.LESSONS[0]
        tab = BrowserTab(
            server.url, ball.path, load.link_query(ball.lesson, "shared", random.Random(0))
        )
        try:
            await (await tab.open()).done
            session = tab.session_id
            assert tab._ws is not None
            tab._ws.transport.abort()  # the network drops the socket while the learner thinks
            await asyncio.sleep(0.3)
            assert not tab.connected
            await tab.reconnect()
            assert tab.connected and tab.session_id == session
            steps = next(w for w in tab.widgets.values() if w.key == "ball_steps")
            change = WidgetState(id=steps.id, int_value=state_value(tab.states[steps.id]) + 50)
            done = await (await tab.send_rerun({steps.id: change})).done
            assert done.status == 0 and dict(parse_qsl(done.query_string))["ball_steps"] == str(
                change.int_value
            )
        finally:
            await tab.close()

    asyncio.run(scenario())


def test_independent_links_are_valid_and_differ_and_a_shared_link_is_the_defaults() -> None:
    for ref in load.LESSONS:
        lesson = ref.lesson
        shared = load.link_query(lesson, "shared", random.Random(1))
        assert shared == load.link_query(lesson, "shared", random.Random(2))
        links = {load.link_query(lesson, "independent", random.Random(i)) for i in range(40)}
        assert len(links) > 30
        for link in links:
            values = dict(parse_qsl(link, keep_blank_values=True))  # tr_pts= (no points)
            for p in lesson.params:
                p.parse(values[p.key])  # ValueError if the simulator wrote an invalid value


def test_the_message_cache_expires_entries_unused_for_more_than_the_max_age() -> None:
    cache = MessageCache()
    cache.messages["a"] = _Cached(b"", 0, "")
    for _ in range(2):
        cache.increment_run_count(2, [])
    assert "a" in cache.hashes()
    cache.increment_run_count(2, [])
    assert cache.hashes() == []


def test_only_loopback_targets_and_bounded_runs() -> None:
    with pytest.raises(SystemExit, match="loopback"):
        load.main(["--url", "http://192.0.2.1:8501", "--students", "1", "--duration", "1"])
    with pytest.raises(SystemExit, match="students"):
        load.main(["--students", str(load.MAX_STUDENTS + 1), "--url", "http://127.0.0.1:9"])
    with pytest.raises(SystemExit, match="duration"):
        load.main(["--duration", str(load.MAX_DURATION + 1), "--url", "http://127.0.0.1:9"])
    assert load.is_loopback("127.0.0.1") and load.is_loopback("localhost")


def test_memory_growth_is_the_peak_after_the_last_reruns_began_less_the_peak_before() -> None:
    monitor = load.Monitor(root=1)
    mb = 1024 * 1024
    rss = [100, 300, 280, 290, 310, 305, 340]  # MB at t = 0 … 6 s: filled by t = 1, then +40
    monitor.samples = [load.Sample(float(t), r * mb, 0.0, 1, 0.0) for t, r in enumerate(rss)]
    finished = [0.5 + 0.01 * i for i in range(300)] + [3.5 + 0.01 * i for i in range(4)]
    # the last 4 reruns began after the one that finished at t = 3.49: peak 340 vs 300 before
    assert monitor.growth(finished, last=4) == {"rss_mb_growth_last_4": 40.0}
    assert monitor.growth(finished[:6], last=4) == {}  # too few reruns for a steady state
