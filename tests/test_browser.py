"""A real browser: pages load and play, links reopen the same run, the stage fits the first
screen, and a projector shows no text under 22 px; the training page's stage plays (its planes
coloured in every painted frame) and takes points clicked onto run A's plane.

Drives Debian's Chromium (/usr/bin/chromium) with Playwright; nothing is downloaded. Without
Chromium the tests are skipped, unless DESCENT_LAB_REQUIRE_BROWSER=1 (set by .ci/run, which
installs it) turns the skip into a failure. Screenshots go to $DESCENT_LAB_SCREENSHOTS or a
temporary directory. One server for the module, started as the Docker image would start it
(only the files the Dockerfile copies, its ENV and CMD), so these tests also prove the image's
layout; one browser, a fresh context (a new Streamlit session) wherever a test needs one.
"""

import base64
import io
import os
import re
import time
import urllib.parse
from pathlib import Path

import pytest
from PIL import Image

from figures.training import STAGE_PICKER_TRACE
from i18n import _ as translate
from i18n import language as i18n_language
from tests import browser_support as bs
from tests.lessons import LESSONS as LESSONS_BY_NAME
from ui.race.params import LESSON as RACE
from ui.settings import PRESENT, SHARED
from ui.training.params import LESSON as TRAINING
from ui.training.points import STEP, decode_points

BY_NAME = LESSONS_BY_NAME
LESSONS = tuple(BY_NAME[name] for name in bs.LESSONS)  # the one list: browser_support.LESSONS
MODES = {"laptop": (bs.LAPTOP, ""), "projector": (bs.PROJECTOR, "?present=true")}
# A link value each lesson refuses, so that its notice box is on the page that is measured.
REFUSED = {"race": "race_steps=0", "rolling_ball": "ball_steps=0", "sum_or_mean": "sm_n=1",
           "training": "tr_epochs=0", "uncrumpling": "uc_layers=9",
           "backprop": "bp_inputs=3"}  # fmt: skip
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


def _wanted(request, *names):
    """The values of the parameters ``names`` (a lesson by its name) of the tests this session
    runs that use the calling fixture, so that a module fixture loads only what they need
    (``-k training`` opens no other lesson)."""
    found = set()
    for item in request.session.items:
        if request.fixturename in getattr(item, "fixturenames", ()) and hasattr(item, "callspec"):
            values = (item.callspec.params[n] for n in names)
            found.add(tuple(getattr(v, "name", v) for v in values))
    return found


@pytest.fixture(scope="module")
def lesson_pages(request, server, browser):
    """Every lesson (that the session's tests ask for) opened from its plain link on a laptop
    (1366×768) and in projector mode (1920×1080, ?present=true), all pages loading at once, the
    race's laptop page first (a deep link is a fresh server's first request; see
    ui.shell.ensure_shell). For each: the page, where its main chart and Play button were as it
    opened, and its console."""
    pages = {}
    wanted = {name for (name,) in _wanted(request, "lesson")}
    for lesson in (lesson for lesson in LESSONS if lesson.name in wanted):
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


@pytest.mark.parametrize("lesson", [TRAINING], ids=lambda lesson: lesson.name)
def test_the_training_page_is_photographed_on_a_laptop_and_a_projector(lesson_pages, lesson):
    """The training page as it opens, before anything is played: its first screen and the
    whole page at 1366×768 and in projector mode at 1920×1080 (the names
    benchmarks/screenshots.py gives them)."""
    for mode in MODES:
        page, _, _ = lesson_pages[(lesson.name, mode)]
        page.bring_to_front()
        first = _shots() / f"{lesson.name}-{mode}-first-screen.png"
        page.screenshot(path=str(first))
        whole = _shots() / f"{lesson.name}-{mode}-full-page.png"
        bs.full_page_screenshot(page, whole)
        assert first.stat().st_size > 10_000 and whole.stat().st_size > 10_000


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
    # the slider's stop ("Step N", or a stage of the uncrumpling page), as plotly.js holds it
    active = "() => document.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active"
    assert page.evaluate(active) == 0
    plot.locator(".updatemenu-button", has_text="Slow").click(force=True)
    page.wait_for_function(f"() => ({active})() !== 0", timeout=15_000)
    plot.locator(".updatemenu-button", has_text="Pause").click(force=True)  # mid-playback
    time.sleep(0.3)
    paused = page.evaluate(active)
    time.sleep(1.0)  # Slow shows a frame every 160 ms: a second is six frames
    assert 0 < paused == page.evaluate(active), "Pause did not stop the animation"
    plot.locator(".updatemenu-button", has_text="Fast").click(force=True)
    page.wait_for_function(f"() => ({active})() !== {paused}", timeout=15_000)
    assert page.evaluate(active) > paused
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
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # skipped without it

    menu = page.locator(f".st-key-{lesson.name}_preset input")
    for attempt in range(3):  # the open list can re-render under load and detach the option
        menu.click()
        menu.fill(name)  # the menu filters its options by what is typed
        try:
            page.get_by_role("option", name=name, exact=True).click(timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    deadline = time.monotonic() + 20
    while menu.input_value() != name and time.monotonic() < deadline:
        time.sleep(0.1)
    assert menu.input_value() == name
    page.locator(f".st-key-{lesson.name}_preset_apply button:visible").first.click()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:48]


# AppTest applies every preset of every lesson through its menu and reopens it from its link
# (tests/test_links.py, tests/test_app_*.py); the browser does it for the presets that draw each
# shape of a lesson's stage (the suite's time budget: a preset takes some 5 s to apply and as
# long to reopen). Race: the default, a divergence, noisy gradients. Rolling ball: the default,
# four balls with one diverging, Adam. Sum or mean: the default, the full batch, Adam, the noise
# cloud under sum. Training: two classifiers side by side (the default), one run alone (one
# plane, no run B, features instead of hidden layers), and a regression (a prediction curve
# instead of a coloured plane) whose run B overshoots. Uncrumpling: the default, a side-by-side
# pair with one in 3-D, ReLU. Backprop: the graph, a dead unit, the cost chart.
BROWSER_PRESETS = {
    "race": ("Rosenbrock: four optimizers (default)",
             "Too large a step: watch it diverge",
             "Noisy gradients help escape the saddle"),
    "rolling_ball": ("Momentum rolls out of a local minimum (default)",
                     "Step size: creep, oscillate, diverge",
                     "Flat bottom: GD crawls, Adam keeps its pace"),
    "sum_or_mean": ("Same learning rate, mean vs sum (default)",
                    "Full batch: the stability wall moves by N",
                    "Adam does not care about sum or mean",
                    "Gradient noise under sum: the arrow and the cloud grow with B"),
    "training": ("Two moons: SGD with momentum vs Adam (default)",
                 "Circles with features x₁², x₂² and no hidden layer",
                 "Too large a learning rate"),
    "uncrumpling": ("Moons: one tanh layer of 2 untangles them",
                    "Circles: 2 units are not enough, 3 are",
                    "XOR with relu: folding the plane"),
    "backprop": ("The slow way: nudging 0.30 → 0.25 lowers the loss",
                 "A dead ReLU passes no gradient",
                 "Why backprop wins at a million weights"),
}  # fmt: skip


def _presets(lesson) -> tuple[str, ...]:
    return BROWSER_PRESETS.get(lesson.name, tuple(lesson.presets))


def test_the_presets_chosen_for_the_browser_are_the_lessons_own():
    for name, chosen in BROWSER_PRESETS.items():
        assert set(chosen) <= set(BY_NAME[name].presets), chosen


PRESETS = [(lesson, name) for lesson in LESSONS for name in _presets(lesson)]
PRESET_IDS = [f"{lesson.name}-{_slug(name)}" for lesson, name in PRESETS]
REOPENED_AT_ONCE = 3  # fresh sessions loading at the same time as the menu's pages


@pytest.fixture(scope="module")
def preset_round_trips(request, server, browser):
    """Every preset of every lesson (the training page's ``BROWSER_PRESETS``; those the session's
    tests ask for) applied through its menu (one page per lesson, at once), and the address bar it
    leaves opened in a new browser context: for each (lesson, preset) the URL and main chart after
    Apply, and those of the reopened page (or the error that stopped either)."""
    chains = []  # [lesson, page, presets still to apply, run, preset of that run]
    wanted = _wanted(request, "lesson", "name")
    for lesson in LESSONS:
        todo = [name for name in _presets(lesson) if (lesson.name, name) in wanted]
        if not todo:
            continue
        page = browser.new_context(viewport=bs.LAPTOP).new_page()
        page.goto(f"{server}/{lesson.name}")
        chains.append([lesson, page, todo, bs.Run(page), None])
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
def projector_text(request, server, browser):
    """The smallest texts of every lesson (that the session's tests ask for) in projector mode at
    1920×1080 (the pages at once): with the preset menu open, with a help tooltip showing, and the
    whole page with a notice box (a refused link value) and every folding panel open."""
    pages = {}
    wanted = {name for (name,) in _wanted(request, "lesson")}
    for lesson in (lesson for lesson in LESSONS if lesson.name in wanted):
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
    if notices < 1:  # the refused value's notice is on the measured page
        pytest.fail(f"no notice box for {REFUSED[lesson.name]}")
    report = {where: _kinds(found) for where, found in small.items() if found}
    assert not report, report


def _kinds(found):
    """One line per kind of element (its size, owners and an example), smallest first."""
    kinds = {}
    for f in found:
        kinds.setdefault((f["size"], f["element"]), f"{f['size']} px {f['element']}: {f['text']!r}")
    return list(kinds.values())[:12]


# --- The training page's stage: playing it, and clicking points onto run A's plane ----------

# The stage's state: the slider's current step and its label, and whether the plot holds the
# frame of that step or the first frame: every value a frame sets (on its traces, and in the
# layout: the planes' images) equal to what the plot has (typed arrays by their bytes).
STAGE_FRAME_JS = """
() => {
  const el = document.querySelector('.js-plotly-plot');
  const slider = el._fullLayout.sliders[0];
  const frames = el._transitionData._frames;
  const spec = (v) => !!v && typeof v === 'object' && 'bdata' in v;
  const text = (v) => JSON.stringify(spec(v) ? v.bdata : v);
  const nested = (v) => !!v && typeof v === 'object' && !spec(v) &&
    (!Array.isArray(v) || v.some((item) => item && typeof item === 'object'));  // images: [{…}]
  const leaves = (update, path) => Object.entries(update).flatMap(([k, v]) =>
    nested(v) ? leaves(v, [...path, k]) : [[[...path, k], v]]);
  const at = (object, path) => path.reduce((o, k) => (o == null ? o : o[k]), object);
  const holds = (frame) =>
    (frame.traces || []).every((t, j) => leaves(frame.data[j] || {}, []).every(
      ([path, v]) => text(at(el.data[t], path)) === text(v))) &&
    leaves(frame.layout || {}, []).every(([path, v]) => text(at(el.layout, path)) === text(v));
  const name = slider.steps[slider.active].args[0][0];
  const frame = frames.find((f) => f.name === name);
  return {active: slider.active, name, n_frames: frames.length,
          label: el.querySelector('.slider-group > .slider-label').textContent.trim(),
          shown_is_frame: holds(frame), shown_is_first: holds(frames[0])};
}
"""


def _open_training(browser, server, viewport=bs.LAPTOP):
    """The training page from its plain link in a new context (a fresh session), its run over;
    and its console."""
    page = browser.new_context(viewport=viewport).new_page()
    log = Log(page)
    page.goto(f"{server}/training", wait_until="commit")
    bs.settle(page)
    return page, log


# Points of run A's plane at fractions (fx, fy) of its axes' ranges: their plane coordinates,
# where they are in the viewport (from Plotly's axis geometry) and whether the plane is what is
# there (nothing covers it); and the click grid (trace STAGE_PICKER_TRACE): its axes and its
# cells (the largest gap between neighbouring points).
PLANE_JS = """
([fractions, picker]) => {
  const el = document.querySelector('.js-plotly-plot');
  const L = el._fullLayout, box = el.getBoundingClientRect();
  const value = (ax, f) => ax.range[0] + f * (ax.range[1] - ax.range[0]);
  const spots = fractions.map(([fx, fy]) => {
    const x = value(L.xaxis, fx), y = value(L.yaxis, fy);
    const px = box.left + L.xaxis._offset + L.xaxis.l2p(x);
    const py = box.top + L.yaxis._offset + L.yaxis.l2p(y);
    const hit = document.elementFromPoint(px, py);  // run A's drag layer takes the clicks
    const on_plane = !!hit && el.contains(hit) && hit.classList.contains('nsewdrag') &&
      hit.getAttribute('data-subplot') === 'xy';
    return {x, y, px, py, on_plane};
  });
  const trace = el._fullData[picker];
  const cell = (values) => {
    const v = [...new Set(Array.from(values))].sort((a, b) => a - b);
    return Math.max(...v.slice(1).map((u, k) => u - v[k]));
  };
  return {spots, picker: {name: trace.name, xaxis: trace.xaxis, yaxis: trace.yaxis,
                          cell_x: cell(trace.x), cell_y: cell(trace.y)}};
}
"""
# Spots along the border of run A's plane, clear of the data (moons, circles, … stay inside).
BORDER = [(f, g) for f in (0.04, 0.5, 0.96) for g in (0.04, 0.5, 0.96) if (f, g) != (0.5, 0.5)]


def _plane(page, fractions):
    return page.evaluate(PLANE_JS, [fractions, STAGE_PICKER_TRACE])


def _colours(png, spots, viewport):
    """The colours of a screenshot (PNG bytes) at the spots' viewport positions."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    sx, sy = image.width / viewport["width"], image.height / viewport["height"]
    return [image.getpixel((round(s["px"] * sx), round(s["py"] * sy))) for s in spots]


def _tinted(rgb) -> bool:
    return min(rgb) < 250  # white is 255; the planes' faintest tint (P near ½) about 240


def _screencast(page, seconds):
    """Every frame Chromium paints during ``seconds`` (PNG bytes): what a person sees."""
    cdp = page.context.new_cdp_session(page)
    frames = []

    def take(params):
        frames.append(base64.b64decode(params["data"]))
        cdp.send("Page.screencastFrameAck", {"sessionId": params["sessionId"]})

    cdp.on("Page.screencastFrame", take)
    cdp.send("Page.startScreencast", {"format": "png"})
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page.evaluate("() => 0")  # Playwright hands over the frames while it talks to the page
        time.sleep(0.05)
    cdp.send("Page.stopScreencast")
    cdp.detach()
    return frames


@pytest.fixture(scope="module")
def training_page(server, browser):
    """One training page on a laptop from its plain link (a fresh session), and its console:
    played (``training_playback``), then clicked on."""
    page, log = _open_training(browser, server)
    yield page, log
    page.context.close()


@pytest.fixture(scope="module")
def training_playback(training_page):
    """The training page played for a few seconds with ▶ Play, then paused: the stage's
    state (STAGE_FRAME_JS) before, after Pause and half a second later; the colours at spots
    on run A's plane's border before Play, in every frame Chromium painted while it played,
    and after Pause; and the page's console."""
    page, log = training_page
    page.bring_to_front()
    spots = _plane(page, BORDER)["spots"]
    record = {"start": page.evaluate(STAGE_FRAME_JS), "log": log,
              "before": _colours(page.screenshot(), spots, bs.LAPTOP)}  # fmt: skip
    plot = page.locator(".js-plotly-plot").first
    plot.locator(".updatemenu-button", has_text="▶ Play").click(force=True)
    frames = _screencast(page, 4.0)
    page.wait_for_function(
        "() => document.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active >= 3",
        timeout=30_000,
    )  # fmt: skip
    plot.locator(".updatemenu-button", has_text="Pause").click(force=True)
    time.sleep(1.0)  # the frame under way when Pause came ends
    record["paused"] = page.evaluate(STAGE_FRAME_JS)
    record["after"] = _colours(page.screenshot(), spots, bs.LAPTOP)
    time.sleep(0.5)
    record["later"] = page.evaluate(STAGE_FRAME_JS)
    record["playing"] = [_colours(f, spots, bs.LAPTOP) for f in frames]
    return record


def test_playing_the_training_stage_moves_its_slider_and_its_planes(training_playback):
    """▶ Play advances the slider, and the prediction the plot holds for run A's plane is
    the frame of the step the slider shows (not the first one); Pause stops it; no page
    error, no console error."""
    start, paused = training_playback["start"], training_playback["paused"]
    assert start["active"] == 0 and start["label"] == "Step 0", start
    assert start["shown_is_frame"] and start["n_frames"] > 10, start
    assert paused["active"] >= 3 and paused["label"] == f"Step {paused['name']}", paused
    assert paused["shown_is_frame"] and not paused["shown_is_first"], paused
    assert training_playback["later"]["active"] == paused["active"], "Pause did not stop it"
    training_playback["log"].check()


def test_the_planes_stay_coloured_while_the_training_stage_plays(training_playback):
    """What a person sees while it plays (every frame Chromium paints): run A's plane keeps
    the network's prediction, coloured, as before Play and after Pause — at least half of the
    border spots coloured before Play stay coloured, in 80 % of the frames or more. (A stage
    of heatmap traces failed this: plotly.js drops them while it animates scatter traces,
    plotly.js #4491, and the planes were white in all 21 frames of 4 s of playback.)"""
    before, playing = training_playback["before"], training_playback["playing"]
    heat = [i for i, rgb in enumerate(before) if _tinted(rgb)]
    assert len(heat) >= 4, f"run A's plane shows no prediction before Play: {before}"
    assert len(playing) >= 5, f"Chromium painted {len(playing)} frames in 4 s of playback"

    def coloured(colours):
        return 2 * sum(_tinted(colours[i]) for i in heat) >= len(heat)

    after = training_playback["after"]
    assert coloured(after), f"run A's plane is not coloured after Pause: {after}"
    frames = [coloured(c) for c in playing]
    assert sum(frames) >= 0.8 * len(frames), (
        f"run A's plane was coloured in {sum(frames)} of the {len(frames)} frames painted "
        f"while {training_playback['paused']['active']} frames played"
    )  # fmt: skip


def _address(page):
    """The address bar's query as a dict, read from the page (Playwright's ``page.url`` is
    only brought up to date while Playwright talks to the page)."""
    return dict(bs.pairs(page.evaluate("() => location.href")))


def _until_address(page, key, wanted, seconds=30.0):
    """Wait until the address bar's ``key`` is ``wanted``, then until the rerun that wrote it
    is over (the share box holding the same address); return the value."""
    deadline = time.monotonic() + seconds
    while not wanted(value := _address(page).get(key, "")):
        if time.monotonic() > deadline:
            pytest.fail(f"{key} is still {value!r} after {seconds:.0f} s")
        time.sleep(0.1)
    bs.settle(page, bs.pairs(page.evaluate("() => location.href")))
    return _address(page)[key]


# The hand-made points the stage draws: on which plane, where.
YOURS_JS = """
() => {
  const el = document.querySelector('.js-plotly-plot');
  return el._fullData.filter((d) => d.name === 'your points').map((d) =>
    ({xaxis: d.xaxis, x: Array.from(d.x), y: Array.from(d.y)}));
}
"""


def _click_plane(page, fraction):
    """Scroll the stage into view and click run A's plane at ``fraction`` of its axes, the
    mouse brought there first as a hand would; the spot's plane coordinates and the picker."""
    page.evaluate("() => document.querySelector('.js-plotly-plot')"
                  ".scrollIntoView({block: 'center'})")  # fmt: skip
    time.sleep(0.5)
    plane = _plane(page, [fraction])
    spot = plane["spots"][0]
    assert spot["on_plane"], f"something covers run A's plane at {spot}"
    page.evaluate("() => { window.__stageData = document.querySelector('.js-plotly-plot').data; }")
    page.mouse.move(spot["px"] - 20, spot["py"] - 20)
    page.mouse.move(spot["px"], spot["py"], steps=4)
    time.sleep(0.3)
    page.mouse.click(spot["px"], spot["py"])
    return spot, plane["picker"]


def _redrawn(page):
    return page.evaluate(
        "() => document.querySelector('.js-plotly-plot').data !== window.__stageData"
    )


def test_a_click_on_the_training_plane_adds_a_point_remove_nearest_takes_it_back(server, browser):
    """A click on run A's plane (in the default mode "Add class 1") puts a class-1 point in the
    link where the click was, and the redrawn stage shows it on run A's plane; with "Remove
    nearest" chosen, a click on the same spot takes it away again."""
    page, log = _open_training(browser, server)
    assert _address(page)["tr_pts"] == "" and _address(page)["tr_click"] == "add1"
    spot, picker = _click_plane(page, (0.6, 0.8))
    assert picker["name"] == "picker" and (picker["xaxis"], picker["yaxis"]) == ("x", "y")
    points = decode_points(_until_address(page, "tr_pts", bool))
    # the nearest picker point (in a cell of the click grid), snapped to the link's 0.05 grid
    assert len(points) == 1 and points[0].label == 1, points
    assert abs(points[0].x1 - spot["x"]) <= STEP + picker["cell_x"], (points, spot, picker)
    assert abs(points[0].x2 - spot["y"]) <= STEP + picker["cell_y"], (points, spot, picker)
    assert _redrawn(page), "the stage was not redrawn"
    yours = page.evaluate(YOURS_JS)
    on_a = [t for t in yours if t["xaxis"] == "x"]
    assert len(on_a) == 1 and len(on_a[0]["x"]) == 1, yours
    assert abs(on_a[0]["x"][0] - points[0].x1) < 1e-6, (yours, points)
    assert abs(on_a[0]["y"][0] - points[0].x2) < 1e-6, (yours, points)

    page.get_by_text("Data and input features").click()  # the panel with the click's mode
    remove = page.locator(".st-key-tr_click").get_by_role("radio", name="Remove nearest")
    remove.wait_for(state="visible", timeout=30_000)
    for attempt in range(3):  # a click that lands while the panel re-renders can be lost
        remove.click()
        deadline = time.monotonic() + 10
        while _address(page).get("tr_click") != "remove" and time.monotonic() < deadline:
            time.sleep(0.1)
        if _address(page).get("tr_click") == "remove" or attempt == 2:
            break
    assert _until_address(page, "tr_click", lambda v: v == "remove") == "remove"
    code = _address(page)["tr_pts"]
    assert decode_points(code) == points  # choosing the mode keeps the point
    _click_plane(page, (0.6, 0.8))
    assert _until_address(page, "tr_pts", lambda v: v != code) == ""
    assert _redrawn(page), "the stage was not redrawn"
    assert page.evaluate(YOURS_JS) == [], "the stage still draws the removed point"
    page.context.close()
    log.check()


def test_a_click_on_the_training_plane_after_playing_adds_a_point(training_playback, training_page):
    """The page played and paused (``training_playback``) still takes a click on run A's
    plane: a class-1 point in the link, no page error."""
    page, log = training_page
    page.bring_to_front()
    if _address(page)["tr_pts"] != "":
        pytest.fail(f"the played page has points already: {_address(page)['tr_pts']!r}")
    _click_plane(page, (0.6, 0.8))
    deadline = time.monotonic() + 15
    while not (code := _address(page)["tr_pts"]) and not log.errors:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not log.errors, log.errors
    assert code, "the click added no point"
    bs.settle(page, bs.pairs(page.evaluate("() => location.href")))
    assert [p.label for p in decode_points(code)] == [1], code
    log.check()


# --- The backprop page: stepping through the backward pass, and playing it ---------------------

GRADIENT_LABELS_JS = """() => [...document.querySelector('.js-plotly-plot')
  .querySelectorAll('text')].filter(t => t.textContent.startsWith('∂ ')).length"""
GRAPH_STEP_JS = "() => document.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active"


@pytest.mark.parametrize("mode", MODES)
def test_backprop_steps_with_next_plays_and_is_photographed(server, browser, mode):
    """Next moves the backward pass one step (the link, the step's table and the graph's slider
    follow) and each step writes more gradients on the graph; ▶ Play then runs the rest of the
    pass in the browser to the last step; screenshots at step 3 and at the end; a clean
    console."""
    viewport, link = MODES[mode]
    page = browser.new_context(viewport=viewport).new_page()
    log = Log(page)
    page.goto(f"{server}/backprop{link}")
    bs.settle(page)
    assert page.evaluate(GRADIENT_LABELS_JS) == 0  # the forward pass only
    counts = []
    # Three steps on the laptop; on the projector one (the same buttons, the suite's time).
    for k in (1, 2, 3) if mode == "laptop" else (1,):
        page.locator(".st-key-bp_next button").click()
        _until_address(page, "bp_step", lambda v, k=k: v == str(k))
        page.get_by_text(f"Step {k}:", exact=False).first.wait_for(timeout=20_000)
        assert page.evaluate(GRAPH_STEP_JS) == k
        counts.append(page.evaluate(GRADIENT_LABELS_JS))
    assert counts[0] > 0 and counts == sorted(set(counts)), counts
    page.screenshot(path=str(_shots() / f"backprop-{mode}-step-{len(counts)}.png"))
    plot = page.locator(".js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    plot.locator(".updatemenu-button", has_text="Fast").click(force=True)
    page.wait_for_function(f"() => ({GRAPH_STEP_JS})() === 7", timeout=20_000)
    time.sleep(0.5)
    final = page.evaluate(GRADIENT_LABELS_JS)
    # every node but the inputs (z and a of 2 × 2 units, z₃, L) and every weight (4 + 4 + 2)
    assert final == 10 + 10 > counts[-1], final
    page.screenshot(path=str(_shots() / f"backprop-{mode}-played.png"))
    assert not page.get_by_text("Traceback").count()
    log.check()
    page.context.close()


# --- The uncrumpling page: the morph plays to the straight cut ----------------------------------

MORPH_JS = """() => { const el = document.querySelector('.js-plotly-plot');
  const cut = el.data[3];
  return {active: el._fullLayout.sliders[0].active,
          stops: el._fullLayout.sliders[0].steps.length,
          cut: (cut.x || []).filter(v => v !== null).length}; }"""


@pytest.mark.parametrize("mode", MODES)
def test_uncrumpling_plays_the_morph_to_the_straight_cut_and_is_photographed(server, browser, mode):
    """▶ Fast morphs the moons through W, +b and tanh to the last stage, where the output's
    straight cut is drawn (it is not, before); screenshots mid-way and at the end; a clean
    console."""
    viewport, link = MODES[mode]
    page = browser.new_context(viewport=viewport).new_page()
    log = Log(page)
    page.goto(f"{server}/uncrumpling{link}")
    bs.settle(page)
    start = page.evaluate(MORPH_JS)
    assert start["active"] == 0 and start["stops"] == 4 and start["cut"] == 0, start
    plot = page.locator(".js-plotly-plot").first
    plot.locator(".updatemenu-button", has_text="Slow").click(force=True)
    time.sleep(0.8)
    page.screenshot(path=str(_shots() / f"uncrumpling-{mode}-morphing.png"))
    plot.locator(".updatemenu-button", has_text="Fast").click(force=True)
    page.wait_for_function(f"() => ({MORPH_JS})().active === 3", timeout=30_000)
    time.sleep(0.5)
    end = page.evaluate(MORPH_JS)
    assert end["cut"] == 2, end  # the straight cut's two ends, inside the last stage's view
    page.screenshot(path=str(_shots() / f"uncrumpling-{mode}-cut.png"))
    assert not page.get_by_text("Traceback").count()
    log.check()
    page.context.close()


# --- Languages: every page in Polish and Chinese, on a laptop and a projector -----------------

LANGUAGE_SHOTS = [(code, mode) for code in ("pl", "zh") for mode in MODES]
LANGUAGE_PAGES_AT_ONCE = 4  # pages loading at the same time (2 cores)
# Text an element cuts off: wider than its box and hidden or ellipsised (a button, a label, a
# tab, an expander's title, a metric, the page menu), with its text. A menu's chosen value is
# an input field, which cannot wrap: a long preset name shows in full in the open menu and in
# its "what to watch" box, and only begins in the closed one (in English too).
CLIPPED_JS = """
() => {
  const picked = 'button, button p, label, [data-testid="stWidgetLabel"] p,'
    + ' [data-baseweb="select"] div,'
    + ' [data-testid="stSidebarNav"] span, [data-testid="stSidebarNav"] p, .stMarkdownEllipsis,'
    + ' [data-testid="stMetricLabel"] *,'
    + ' [data-testid="stExpander"] summary p, [role="tab"] p, [data-testid="stPageLink"] p';
  const out = [];
  for (const el of document.querySelectorAll(picked)) {
    if (!el.offsetParent || !el.innerText || el.children.length > 2) continue;
    const s = getComputedStyle(el);
    const hides = s.textOverflow === 'ellipsis' || s.overflowX === 'hidden'
      || s.overflow === 'hidden';
    if (hides && el.scrollWidth > el.clientWidth + 1) out.push(el.innerText.slice(0, 80));
    const link = el.closest('[data-testid="stSidebarNavLink"]');  // a menu entry's own box
    if (link && el.getBoundingClientRect().right > link.getBoundingClientRect().right + 1) {
      out.push(el.innerText.slice(0, 80));
    }
  }
  return out;
}
"""
HAN = re.compile(r"[\u4e00-\u9fff]")
SVG_TEXT_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot .main-svg text'))
  .map((t) => t.textContent).join(' ')"""


def _page_paths() -> list[str]:
    return ["", *bs.LESSONS]  # "": home


@pytest.fixture(scope="module")
def language_pages(server, browser):
    """Every page opened in Polish and in Chinese, on a laptop and in projector mode (a few at
    a time): for each (page, language, mode) its title, what its charts say, the text it cuts
    off, and its console; a first-screen screenshot of each is saved."""
    todo = [(path, code, mode) for path in _page_paths() for code, mode in LANGUAGE_SHOTS]
    results, loading = {}, []
    while todo or loading:
        while todo and len(loading) < LANGUAGE_PAGES_AT_ONCE:
            path, code, mode = todo.pop(0)
            viewport, link = MODES[mode]
            query = f"{link}&lang={code}" if link else f"?lang={code}"
            page = browser.new_context(viewport=viewport).new_page()
            log = Log(page)
            page.goto(f"{server}/{path}{query}", wait_until="commit")
            loading.append(((path, code, mode), page, log, bs.Run(page) if path else None))
        for item in list(loading):
            key, page, log, run = item
            if run is None:  # home: no chart, no share box
                page.locator("h1").first.wait_for(timeout=60_000)
                page.locator('[data-testid="stPageLink"]').nth(5).wait_for(timeout=60_000)
                time.sleep(1.0)
            elif not run.poll():
                continue
            name = f"{key[0] or 'home'}-{key[1]}-{key[2]}.png"
            page.screenshot(path=str(_shots() / name))
            svg = page.evaluate(SVG_TEXT_JS)
            results[key] = {"title": page.locator("h1").first.inner_text(), "svg": svg,
                            "clipped": page.evaluate(CLIPPED_JS), "url": page.url,
                            "log": log}  # fmt: skip
            page.context.close()
            loading.remove(item)
        time.sleep(0.1)
    return results


@pytest.mark.parametrize(("code", "mode"), LANGUAGE_SHOTS)
@pytest.mark.parametrize("path", _page_paths(), ids=lambda path: path or "home")
def test_every_page_reads_in_polish_and_chinese_and_cuts_off_no_text(language_pages, path,
                                                                     code, mode):  # fmt: skip
    """Opened with ?lang=, the page stays in that language (the link keeps it), its title is
    the catalogue's, its charts speak it (Chinese characters in the SVG of a Chinese page), no
    label, button, menu or tab is cut off, and the console is clean."""
    shot = language_pages[(path, code, mode)]
    assert ("lang", code) in bs.pairs(shot["url"])
    with i18n_language(code):
        home = translate("Home")
    assert (shot["title"] and shot["title"] != "Descent Lab") or path == ""
    if code == "zh":
        assert HAN.search(shot["title"] + home), shot["title"]
        if path:
            assert HAN.search(shot["svg"]), shot["svg"][:200]
    assert not shot["clipped"], shot["clipped"]
    shot["log"].check()


def test_a_browser_in_polish_opens_the_lab_in_polish(server, browser):
    """No ?lang= in the link: the browser's language decides (Polish here), and the link then
    carries it, so it reopens in Polish anywhere."""
    context = browser.new_context(viewport=bs.LAPTOP, locale="pl-PL")
    page = context.new_page()
    page.goto(f"{server}/rolling_ball")
    bs.settle(page)
    assert ("lang", "pl") in bs.pairs(page.url)
    with i18n_language("pl"):
        assert page.locator("h1").first.inner_text() == translate("The rolling ball")
    context.close()
