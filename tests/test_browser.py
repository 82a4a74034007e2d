"""A real browser: each page loads, Play advances the animation, screenshots are saved.

Drives Debian's Chromium (/usr/bin/chromium) with Playwright; nothing is downloaded. Without
Chromium the test is skipped, unless DESCENT_LAB_REQUIRE_BROWSER=1 (set by .ci/run, which
installs it) turns the skip into a failure. Screenshots go to $DESCENT_LAB_SCREENSHOTS or a
temporary directory.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

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
def server():
    _need_browser()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    else:
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
