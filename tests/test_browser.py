"""A real browser: pages load and play, links reopen the same run, the stage fits the first
screen, and a projector shows no text under 22 px.

Drives Debian's Chromium (/usr/bin/chromium) with Playwright; nothing is downloaded. Without
Chromium the tests are skipped, unless DESCENT_LAB_REQUIRE_BROWSER=1 (set by .ci/run, which
installs it) turns the skip into a failure. Screenshots go to $DESCENT_LAB_SCREENSHOTS or a
temporary directory. One server for the module, started as the Docker image would start it
(only the files the Dockerfile copies, its ENV and CMD), so these tests also prove the image's
layout; one browser, a fresh context (a new Streamlit session) wherever a test needs one.
"""

import os
import re
import time
import urllib.parse
from pathlib import Path

import pytest

from tests import browser_support as bs
from ui.race.params import LESSON as RACE
from ui.rolling_ball.params import LESSON as BALL
from ui.settings import PRESENT, SHARED
from ui.sum_or_mean.params import LESSON as SUM_OR_MEAN

LESSONS = (RACE, BALL, SUM_OR_MEAN)
MODES = {"laptop": (bs.LAPTOP, ""), "projector": (bs.PROJECTOR, "?present=true")}
# A link value each lesson refuses, so that its notice box is on the page that is measured.
REFUSED = {"race": "race_steps=0", "rolling_ball": "ball_steps=0", "sum_or_mean": "sm_n=1"}
# Streamlit's frontend, opened on /<page>, first probes /<page>/_stcore/health and host-config
# (404) before the root (streamlit/streamlit#7074, open): its own request, not the app's.
PROBE = re.compile(r"^/[a-z_]+/_stcore/(health|host-config)$")


def _need_browser():
    if bs.CHROMIUM.exists():
        return
    if os.environ.get("DESCENT_LAB_REQUIRE_BROWSER") == "1":
        pytest.fail("Chromium is required here but /usr/bin/chromium is missing")
    pytest.skip("Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app as the Docker image runs it: only the files its COPY lines copy, its ENV and
    its CMD (on a free loopback port)."""
    _need_browser()
    with bs.serve(tmp_path_factory.mktemp("image")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(bs.CHROMIUM), args=bs.ARGS)
        yield b
        b.close()


def _shots() -> Path:
    folder = Path(os.environ.get("DESCENT_LAB_SCREENSHOTS", "/tmp/descent-lab-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _step(label) -> int:
    return int(label.text_content().split()[-1])  # "Step 120"


def _probe(url):
    return bool(PROBE.match(urllib.parse.urlparse(url).path))


class Log:
    """What a page's browser console reported: page errors, console errors, failed requests."""

    def __init__(self, page):
        self.errors, self.console, self.failed = [], [], []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.console.append(m) if m.type == "error" else None)
        page.on("response", lambda r: self.failed.append(r) if r.status >= 400 else None)

    def check(self):
        """No page error, and no failed request or console error but Streamlit's probes."""
        assert not self.errors, self.errors  # Pause during playback included
        probes = [r for r in self.failed if r.status == 404 and _probe(r.url)]
        others = [f"{r.status} {r.url}" for r in self.failed if r not in probes]
        assert not others, others
        probe_urls = {r.url for r in probes}
        messages = [f"{m.text} ({m.location.get('url')})" for m in self.console
                    if m.location.get("url") not in probe_urls]  # fmt: skip
        assert not messages, messages


@pytest.fixture(scope="module")
def lesson_pages(server, browser):
    """Every lesson opened from its plain link on a laptop (1366×768) and in projector mode
    (1920×1080, ?present=true), six pages loading at once, the race's laptop page first (a
    deep link is a fresh server's first request; see ui.shell.ensure_shell). For each: the
    page, where its main chart and Play button were as it opened, and its console."""
    pages = {}
    for lesson in LESSONS:
        for mode, (viewport, link) in MODES.items():
            page = browser.new_context(viewport=viewport).new_page()
            log = Log(page)
            page.goto(f"{server}/{lesson.name}{link}", wait_until="commit")
            pages[(lesson.name, mode)] = (page, log)
    bs.wait(*(bs.Run(page) for page, _ in pages.values()))
    opened = {key: (page, bs.first_screen(page), log) for key, (page, log) in pages.items()}
    yield opened
    for page, _, _ in opened.values():
        page.context.close()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_the_chart_and_its_play_button_are_on_the_first_screen(lesson_pages, lesson, mode):
    page, screen, _ = lesson_pages[(lesson.name, mode)]
    viewport, link = MODES[mode]
    assert dict(bs.pairs(page.url))[PRESENT] == ("true" if link else "false")
    width, height = viewport["width"], viewport["height"]
    chart, play = screen["chart"], screen["play"]
    # the chart starts on the first screen with at least 200 px of it showing
    assert chart["top"] >= 0 and chart["top"] + 200 <= height, screen
    # and its Play button is wholly on it, not covered by anything
    assert play["top"] >= 0 and play["bottom"] <= height and play["right"] <= width, screen
    assert play["on_top"], screen


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_a_lesson_plays_pauses_and_is_photographed(lesson_pages, lesson, mode):
    """The shell ran (menu, shared settings, no "page not found"); Slow advances the steps,
    Pause mid-playback stops them, Fast goes on; the console stays clean throughout."""
    page, _, log = lesson_pages[(lesson.name, mode)]
    page.bring_to_front()
    assert page.get_by_text("Settings for every page").count() == 1
    assert page.get_by_text("Page not found").count() == 0
    plot = page.locator(".js-plotly-plot").first
    label = plot.locator(".slider-group > .slider-label").first  # "Step N"
    assert label.text_content().strip() == "Step 0"
    plot.locator(".updatemenu-button", has_text="Slow").click(force=True)
    page.wait_for_function(
        "el => el.textContent.trim() !== 'Step 0'", arg=label.element_handle(), timeout=15_000
    )
    plot.locator(".updatemenu-button", has_text="Pause").click(force=True)  # mid-playback
    time.sleep(0.3)
    paused = _step(label)
    time.sleep(1.0)  # Slow shows a frame every 160 ms: a second is six frames
    assert 0 < paused == _step(label), "Pause did not stop the animation"
    plot.locator(".updatemenu-button", has_text="Fast").click(force=True)
    page.wait_for_function(
        "([el, s]) => el.textContent.trim() !== s",
        arg=[label.element_handle(), f"Step {paused}"], timeout=15_000,
    )  # fmt: skip
    assert _step(label) > paused
    plot.locator(".updatemenu-button", has_text="Pause").click(force=True)  # spare the CPU
    assert not page.get_by_text("Traceback").count()
    if mode == "laptop":  # benchmarks/screenshots.py takes every page in both modes
        bs.full_page_screenshot(page, _shots() / f"{lesson.name}.png")
    log.check()


def test_home_loads_and_is_photographed(server, browser):
    page = browser.new_page(viewport=bs.LAPTOP)
    log = Log(page)
    page.goto(server)
    page.get_by_role("heading", name="Descent Lab").wait_for(timeout=60_000)
    page.get_by_text("Settings for every page").wait_for(timeout=30_000)
    assert page.get_by_text("Page not found").count() == 0
    assert not page.get_by_text("Traceback").count()
    bs.full_page_screenshot(page, _shots() / "home.png")
    page.close()
    log.check()


def _plot_area(page):
    """The first chart's plotting area (its drag layer), scrolled into view."""
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for(timeout=60_000)
    plot.scroll_into_view_if_needed()
    time.sleep(0.5)
    return plot.locator(".nsewdrag").first.bounding_box()


def _wait_for_value(page, label, old):
    field = page.get_by_label(label)
    deadline = time.monotonic() + 20
    while field.input_value() == old and time.monotonic() < deadline:
        time.sleep(0.2)
    return float(field.input_value())


def test_clicking_the_map_starts_the_race_there(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/race?race_surface=rosenbrock&race_x0=-1.2&race_y0=1")
    box = _plot_area(page)  # Rosenbrock's plot spans x in [-2, 2], y in [-1, 3]
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.25 * box["height"])
    x0 = _wait_for_value(page, "Start x", "-1.2")
    y0 = float(page.get_by_label("Start y").input_value())
    # The nearest start-picker point (a grid of step 0.1) to (1.0, 2.0), not the old start.
    assert abs(x0 - 1.0) <= 0.1 + 1e-9 and abs(y0 - 2.0) <= 0.1 + 1e-9, (x0, y0)
    deadline = time.monotonic() + 10
    while dict(bs.pairs(page.url)).get("race_x0") != repr(x0) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert dict(bs.pairs(page.url))["race_x0"] == repr(x0)  # the link carries the new start
    page.close()


def test_clicking_the_curve_drops_the_balls_there(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/rolling_ball?ball_surface=asymmetric_double_well&ball_w0=1.9")
    box = _plot_area(page)  # the curve spans w in [-2, 2]
    x = box["x"] + 0.3 * box["width"]  # w ≈ -0.8: find the curve's height there by hovering
    hovered = None
    for i in range(81):
        y = box["y"] + box["height"] * i / 80
        page.mouse.move(x, y)
        time.sleep(0.02)
        label = page.get_by_text("click to start here")
        if label.count():
            hovered = float(re.search(r"w = (-?[\d.]+)", label.first.text_content()).group(1))
            page.mouse.click(x, y)
            break
    else:
        pytest.fail("no start-picker point under the curve at w ≈ -0.8")
    w0 = _wait_for_value(page, "Start w", "1.9")
    # the point the hover label showed (3 digits there), which lies near the click
    assert abs(w0 - hovered) < 1e-3 and abs(w0 - (-0.8)) <= 0.1, (w0, hovered)
    page.close()


def test_a_link_in_other_spellings_stays_in_the_address_bar_and_the_share_box(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/race?race_surface=beale&race_steps=0&present=1")
    # Every parameter of the shared settings and the lesson, each in its one spelling
    # (present=1 → true); race_steps=0 is refused with a notice and its default used.
    values = RACE.defaults() | {"race_surface": "beale"}
    expected = bs.canonical(RACE, values, present=True)
    assert ("race_steps", "600") in expected and ("present", "true") in expected
    assert [k for k, _ in expected] == [*SHARED.keys, *RACE.keys]
    bs.settle(page, expected)  # the address bar and the share box both hold it
    assert page.get_by_text("could not be used").count() == 1
    assert page.get_by_text("Flat plateaus and steep walls").count() == 1  # Beale is shown
    shown = bs.share_box(page)
    assert shown == f"{server}/race?{urllib.parse.urlencode(expected)}"
    assert page.url == shown
    page.close()


def _choose_preset(page, lesson, name):
    """Pick ``name`` in the lesson's preset menu and press its Apply button."""
    page.bring_to_front()  # several pages are open at once; only the front one has focus
    menu = page.locator(f".st-key-{lesson.name}_preset input")
    menu.click()
    menu.fill(name)  # the menu filters its options by what is typed
    page.get_by_role("option", name=name, exact=True).click()
    deadline = time.monotonic() + 20
    while menu.input_value() != name and time.monotonic() < deadline:
        time.sleep(0.1)
    assert menu.input_value() == name
    page.locator(f".st-key-{lesson.name}_preset_apply button:visible").first.click()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:48]


PRESETS = [(lesson, name) for lesson in LESSONS for name in lesson.presets]
PRESET_IDS = [f"{lesson.name}-{_slug(name)}" for lesson, name in PRESETS]
REOPENED_AT_ONCE = 3  # fresh sessions loading at the same time as the menu's pages


@pytest.fixture(scope="module")
def preset_round_trips(server, browser):
    """Every preset of every lesson applied through its menu (one page per lesson, the three
    lessons at once), and the address bar it leaves opened in a new browser context: for each
    (lesson, preset) the URL and main chart after Apply, and those of the reopened page (or
    the error that stopped either)."""
    chains = []  # [lesson, page, presets still to apply, run, preset of that run]
    for lesson in LESSONS:
        page = browser.new_context(viewport=bs.LAPTOP).new_page()
        page.goto(f"{server}/{lesson.name}")
        chains.append([lesson, page, list(lesson.presets), bs.Run(page), None])
    waiting, loading, trips = [], [], {}  # reopen queue, reopened pages loading, results

    def reopen():
        while waiting and len(loading) < REOPENED_AT_ONCE:
            key, url, first = waiting.pop(0)
            fresh = browser.new_context(viewport=bs.LAPTOP).new_page()
            fresh.goto(url, wait_until="commit")
            loading.append((key, url, first, fresh, bs.Run(fresh, bs.pairs(url))))

    while chains or waiting or loading:
        for chain in list(chains):
            lesson, page, todo, run, name = chain
            try:
                if not run.poll():
                    continue
                if name is not None:
                    waiting.append(((lesson.name, name), page.url, run.figure))
            except TimeoutError as err:
                trips[(lesson.name, name)] = str(err)
            if not todo:
                page.context.close()
                chains.remove(chain)
                continue
            chain[4] = name = todo.pop(0)
            try:
                _choose_preset(page, lesson, name)
                chain[3] = bs.Run(page, bs.canonical(lesson, lesson.preset_values(name)))
            except Exception as err:  # recorded for this preset's test; the others go on
                trips[(lesson.name, name)] = f"menu: {err}"
                chain[3], chain[4] = bs.Run(page), None
        reopen()
        for item in list(loading):
            key, url, first, fresh, run = item
            try:
                if not run.poll():
                    continue
                trips[key] = (url, first, fresh.url, run.figure)
            except TimeoutError as err:
                trips[key] = f"reopened: {err}"
            fresh.context.close()
            loading.remove(item)
        time.sleep(0.1)
    return trips


@pytest.mark.parametrize(("lesson", "name"), PRESETS, ids=PRESET_IDS)
def test_a_preset_applied_in_the_menu_reopens_from_its_link(preset_round_trips, lesson, name):
    """After Apply the address bar holds every value the preset declares (the defaults it
    does not name included), and that URL opened in a new browser context (a fresh session)
    keeps the same address and draws the same main chart: its data, layout and frames."""
    trip = preset_round_trips[(lesson.name, name)]
    assert not isinstance(trip, str), trip  # the run after Apply or the reopened one never ended
    url, first, reopened_url, reopened = trip
    assert bs.pairs(url) == bs.canonical(lesson, lesson.preset_values(name))
    assert reopened_url == url
    assert reopened == first, "the reopened page draws another chart"


@pytest.fixture(scope="module")
def projector_text(server, browser):
    """The smallest texts of every lesson in projector mode at 1920×1080 (three pages at
    once): with the preset menu open, with a help tooltip showing, and the whole page with a
    notice box (a refused link value) and every folding panel open."""
    pages = {}
    for lesson in LESSONS:
        page = browser.new_context(viewport=bs.PROJECTOR).new_page()
        page.goto(f"{server}/{lesson.name}?present=true&{REFUSED[lesson.name]}",
                  wait_until="commit")  # fmt: skip
        pages[lesson.name] = page
    bs.wait(*(bs.Run(page) for page in pages.values()))
    found = {}
    for name, page in pages.items():
        page.bring_to_front()  # the menu and the tooltip open only on the focused page
        notices = page.locator("[data-testid=stAlertContainer]").count()
        # The menu first: it is on the first screen, and scrolling closes it.
        page.locator(f".st-key-{name}_preset input").click()
        page.get_by_role("option").first.wait_for(timeout=10_000)
        small = {"preset menu": _smallest(page)}
        page.keyboard.press("Escape")
        page.get_by_role("option").first.wait_for(state="detached", timeout=10_000)
        page.locator("[data-testid=stTooltipIcon]").first.hover()
        page.locator("[data-testid=stTooltipContent]").first.wait_for(timeout=10_000)
        small["help tooltip"] = _smallest(page)
        page.mouse.move(0, 0)
        bs.open_every_expander(page)
        small["page"] = _smallest(page)
        found[name] = (notices, small)
        page.context.close()
    return found


def _smallest(page):
    return page.evaluate(bs.SMALLEST_TEXT_JS, bs.MIN_PROJECTOR_PX)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_every_visible_text_on_a_projector_is_22px_or_more(projector_text, lesson):
    """No text anywhere on the page under 22 px — in the notice box, the open panels, the
    preset menu and a tooltip, SVG text of the charts included (what is skipped and why:
    browser_support.SMALLEST_TEXT_JS)."""
    notices, small = projector_text[lesson.name]
    assert notices >= 1  # the refused value's notice is on the measured page
    report = {where: _kinds(found) for where, found in small.items() if found}
    assert not report, report


def _kinds(found):
    """One line per kind of element (its size, owners and an example), smallest first."""
    kinds = {}
    for f in found:
        kinds.setdefault((f["size"], f["element"]), f"{f['size']} px {f['element']}: {f['text']!r}")
    return list(kinds.values())[:12]
