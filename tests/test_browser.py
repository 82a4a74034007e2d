"""A real browser: each page loads, Play advances the animation, screenshots are saved.

Drives Debian's Chromium (/usr/bin/chromium) with Playwright; nothing is downloaded. Without
Chromium the test is skipped, unless DESCENT_LAB_REQUIRE_BROWSER=1 (set by .ci/run, which
installs it) turns the skip into a failure. Screenshots go to $DESCENT_LAB_SCREENSHOTS or a
temporary directory. The server is started as the Docker image would start it (only the files
the Dockerfile copies, its ENV and CMD), so these tests also prove the image's layout.
"""

import os
import re
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests import dockerfile

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
# A deep link first: the first request to a fresh server is the one Streamlit's legacy pages/
# discovery answers (see ui.shell.ensure_shell).
PAGES = [("race", "race", "The optimizer race"),
         ("rolling_ball", "rolling_ball", "The rolling ball"),
         ("sum_or_mean", "sum_or_mean", "Sum or mean?"),
         ("home", "", "Descent Lab")]  # fmt: skip


def _need_browser():
    if CHROMIUM.exists():
        return
    if os.environ.get("DESCENT_LAB_REQUIRE_BROWSER") == "1":
        pytest.fail("Chromium is required here but /usr/bin/chromium is missing")
    pytest.skip("Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app as the Docker image runs it: only the files its COPY lines copy, its ENV and
    its CMD (on a free loopback port)."""
    _need_browser()
    image = dockerfile.parse()
    app = dockerfile.stage(image, tmp_path_factory.mktemp("image") / "app")
    port = dockerfile.free_port()
    process = subprocess.Popen(
        dockerfile.command(image, port), cwd=app, env=dockerfile.environment(image),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    if not dockerfile.wait_until_healthy(url):
        process.kill()
        pytest.fail("the Streamlit server did not start within 60 s")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _shots() -> Path:
    folder = Path(os.environ.get("DESCENT_LAB_SCREENSHOTS", "/tmp/descent-lab-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize(("name", "path", "title"), PAGES)
def test_page_loads_plays_and_is_photographed(server, browser, name, path, title):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/{path}")
    page.get_by_role("heading", name=title).wait_for(timeout=60_000)
    # The shell ran: the menu and the shared settings are there, and no "page not found".
    page.get_by_text("Settings for every page").wait_for(timeout=30_000)
    assert page.get_by_text("Page not found").count() == 0
    if name != "home":
        plot = page.locator(".js-plotly-plot").first
        plot.wait_for(timeout=60_000)
        plot.scroll_into_view_if_needed()
        label = plot.locator(".slider-group > .slider-label").first  # "Step N"
        assert label.text_content().strip() == "Step 0"
        plot.locator(".updatemenu-button", has_text="Fast").click(force=True)
        page.wait_for_function(
            "el => el.textContent.trim() !== 'Step 0'", arg=label.element_handle(), timeout=15_000
        )
        time.sleep(0.5)
        later = int(label.text_content().split()[-1])
        assert later > 0
    assert not page.get_by_text("Traceback").count()
    page.screenshot(path=str(_shots() / f"{name}.png"), full_page=True)
    page.close()
    assert not errors, errors


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
    while "race_x0=" not in page.url and time.monotonic() < deadline:
        time.sleep(0.2)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert float(query["race_x0"][0]) == x0  # the link carries the new start
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
    page.get_by_text("Link to this run").wait_for(timeout=60_000)
    deadline = time.monotonic() + 15
    while "Beale" not in page.url and time.monotonic() < deadline:
        time.sleep(0.2)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    # respelled in the widgets' own form, kept; the bad value dropped with a notice
    assert query == {"race_surface": ["Beale"], "present": ["true"]}, page.url
    assert page.get_by_text("could not be used").count() == 1
    assert page.get_by_text("Flat plateaus and steep walls").count() == 1  # Beale is shown
    shown = page.locator("[data-testid=stCode]").last.text_content().strip()
    assert urllib.parse.parse_qs(urllib.parse.urlparse(shown).query) == query
    assert shown.startswith(f"{server}/race?")
    page.close()
