"""What the browser tests and the screenshot script share: the app as the Docker image starts it,
Chromium's flags, and the JavaScript that reads a page (its smallest text, its main chart).

``serve`` starts the server from a directory holding only what the Dockerfile's COPY lines copy,
with the image's ENV and CMD, so whatever drives a browser at it also proves the image's layout.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests import dockerfile
from ui.settings import PRESENT, SEED, SHARED

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
LESSONS = ("race", "rolling_ball", "sum_or_mean", "training", "uncrumpling", "backprop")
LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1920, "height": 1080}
MIN_PROJECTOR_PX = 22  # the rule: every visible text on a projector at least this big


@contextlib.contextmanager
def serve(folder: Path | None = None) -> Iterator[str]:
    """The app as the Docker image runs it (on a free loopback port); yields its base URL."""
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        image = dockerfile.parse()
        app = dockerfile.stage(image, folder / "app")
        port = dockerfile.free_port()
        process = subprocess.Popen(
            dockerfile.command(image, port), cwd=app, env=dockerfile.environment(image),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            if not dockerfile.wait_until_healthy(url):
                raise RuntimeError("the Streamlit server did not start within 60 s")
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def canonical(lesson: Any, values: dict[str, Any], present: bool = False) -> list[tuple[str, str]]:
    """The query a page writes for ``values`` of ``lesson`` (and the shared settings, seed 0):
    every parameter, in declaration order, each in its one spelling."""
    shared = SHARED.defaults() | {PRESENT: present, SEED: 0}
    return list((SHARED.encode(shared) | lesson.encode(values)).items())


def pairs(url: str) -> list[tuple[str, str]]:
    """The query of ``url`` as ordered (key, value) pairs."""
    return urllib.parse.parse_qsl(urllib.parse.urlparse(url).query, keep_blank_values=True)


def share_box(page: Any) -> str:
    """The text of the page's *Link to this run* box (the last element every lesson draws)."""
    box = page.locator("[data-testid=stCode]").last
    return str(box.text_content() or "").strip() if box.count() else ""


def figure(page: Any) -> str:
    """The main chart's data, layout and frames as JSON (see ``FIGURE_JS``)."""
    return str(page.evaluate(FIGURE_JS))


QUIET = 0.5  # s without a change to the main chart before a run counts as over

# One cheap look at a page: is a run going on, what do the address bar and the share box hold,
# and is the main chart the same object as at the last look (Plotly replaces ``data`` on every
# redraw, so identity is a change detector that costs nothing, unlike serialising the figure).
LOOK_JS = """
() => {
  const busy = !!document.querySelector('[data-testid=stStatusWidget], [data-stale=true]');
  const boxes = document.querySelectorAll('[data-testid=stCode]');
  const share = boxes.length ? boxes[boxes.length - 1].textContent.trim() : '';
  const el = document.querySelector('.js-plotly-plot');
  const frames = el && el._transitionData && el._transitionData._frames;
  const w = window;
  const same = !!el && el === w.__lookEl && el.data === w.__lookData && frames === w.__lookFrames;
  w.__lookEl = el; w.__lookData = el && el.data; w.__lookFrames = frames;
  return {busy, share, url: location.href, drawn: !!(el && el.data), same};
}
"""


class Run:
    """A page's run, awaited without blocking, so that several pages can load at once.

    The run is over when the main chart is drawn, nothing runs and no element is stale, the
    share box (drawn last by every lesson) is there, the address bar and the share box hold
    ``expected`` when it is given, and the chart has not changed for ``QUIET`` seconds. Then
    ``figure`` holds the main chart's JSON (see ``FIGURE_JS``).
    """

    def __init__(self, page: Any, expected: list[tuple[str, str]] | None = None,
                 seconds: float = 90.0) -> None:  # fmt: skip
        self.page, self.expected = page, expected
        self.deadline = time.monotonic() + seconds
        self.quiet_since: float | None = None
        self.figure: str | None = None

    def poll(self) -> bool:
        """One look; True once the run is over (TimeoutError past the deadline)."""
        if self.figure is not None:
            return True
        look = self.page.evaluate(LOOK_JS)
        linked = bool(look["share"]) and (
            self.expected is None
            or (pairs(look["url"]) == self.expected and pairs(look["share"]) == self.expected)
        )
        now = time.monotonic()
        if not (look["drawn"] and linked and not look["busy"]):
            self.quiet_since = None
        elif not look["same"] or self.quiet_since is None:
            self.quiet_since = now
        elif now - self.quiet_since >= QUIET:
            self.figure = figure(self.page)
            return True
        if now > self.deadline:
            raise TimeoutError(f"the run did not end: {look['url']} (share box {look['share']})")
        return False


def wait(*runs: Run) -> None:
    """Until every run is over (looking at every one in each round)."""
    while True:
        over = [run.poll() for run in runs]
        if all(over):
            return
        time.sleep(0.1)


def settle(page: Any, expected: list[tuple[str, str]] | None = None, seconds: float = 90) -> str:
    """Wait until the page's run is over (see ``Run``); return the main chart's JSON."""
    run = Run(page, expected, seconds)
    wait(run)
    assert run.figure is not None
    return run.figure


# The main chart's content: data and frames as JSON, without Plotly's private full layout. Sorted
# keys so that two pages holding the same figure give the same text.
FIGURE_JS = """
() => {
  const el = document.querySelector('.js-plotly-plot');
  const sorted = (value) => {
    if (Array.isArray(value)) return value.map(sorted);
    if (value && typeof value === 'object' && !(value instanceof Element)) {
      const out = {};
      for (const k of Object.keys(value).sort()) {
        if (!k.startsWith('_')) out[k] = sorted(value[k]);
      }
      return out;
    }
    return value;
  };
  const frames = (el._transitionData && el._transitionData._frames) || [];
  return JSON.stringify({data: sorted(el.data), layout: sorted(el.layout), frames: sorted(frames)});
}
"""

# Every text a person can see on the page (the whole page, not only the first screen), with its
# rendered font size, smallest first. Text counts when its own text node has a box on the page and
# nothing hides it: no display:none, visibility:hidden or zero opacity on it or an ancestor, not
# inside a folded panel (a closed <details> but its summary: Chromium still lays it out), not
# clipped away (screen-reader-only copies such as KaTeX's MathML and Streamlit's "Skip to main
# content" link), not cut off by a collapsed, overflow-hidden ancestor. SVG text (Plotly's ticks,
# legends, sliders, buttons) counts at its size on screen (font size × the SVG's scale).
# One exemption: KaTeX's second-level scripts (an exponent inside an exponent, e.g. Ackley's
# e^{−0.2√(x²+y²)}), which TeX sets at half the formula's size by rule; a formula's first-level
# scripts (70 %) are checked like any text. Icons (Material Symbols ligatures such as
# "link_off") are glyphs, not text, and are skipped.
SMALLEST_TEXT_JS = """
(limit) => {
  const clipped = (s) => (s.position === 'absolute' || s.position === 'fixed') &&
    s.clip && s.clip !== 'auto';
  const hidden = (el) => {
    for (let a = el, child = null; a && a.nodeType === 1; child = a, a = a.parentElement) {
      // a folded panel (a <details> without open) shows its summary, nothing else
      if (a.tagName === 'DETAILS' && !a.open && !(child && child.tagName === 'SUMMARY')) {
        return true;
      }
      const s = getComputedStyle(a);
      if (s.display === 'none' || s.visibility !== 'visible' || parseFloat(s.opacity) === 0 ||
          clipped(s) || /inset\\(50%/.test(s.clipPath || '')) return true;
    }
    return false;
  };
  const cuts = (overflow) => overflow === 'hidden' || overflow === 'clip';
  const scrolls = (overflow) => overflow === 'auto' || overflow === 'scroll';
  // Outside an ancestor that clips it, unless a scrolling ancestor in between can bring it in.
  const cutOff = (el, rect) => {
    let x = true, y = true;  // whether clipping still applies along that axis
    for (let a = el.parentElement; a && a !== document.body && (x || y); a = a.parentElement) {
      const s = getComputedStyle(a);
      const box = a.getBoundingClientRect();
      if (x && cuts(s.overflowX) && (rect.right <= box.left || rect.left >= box.right)) return true;
      if (y && cuts(s.overflowY) && (rect.bottom <= box.top || rect.top >= box.bottom)) return true;
      x = x && !scrolls(s.overflowX);
      y = y && !scrolls(s.overflowY);
    }
    return false;
  };
  const name = (el) => {  // the element and its two nearest Streamlit owners (data-testid)
    const owners = [];
    for (let a = el; a && owners.length < 2; a = a.parentElement) {
      const id = a.getAttribute && a.getAttribute('data-testid');
      if (id && !/^(stMarkdownContainer|stElementContainer)$/.test(id)) owners.unshift(id);
    }
    const cls = typeof el.className === 'string' && el.className.split(' ')[0];
    const tag = el.tagName.toLowerCase() + (cls && !/^st-emotion/.test(cls) ? '.' + cls : '');
    return [...owners, tag].join(' ');
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/[\\s\\u200b]+/g, ' ').trim();
    const el = node.parentElement;
    if (!text || !el || el.closest('script, style, noscript, title')) continue;
    if (el.closest('.katex .sizing.size1, .katex .sizing.size2')) continue;
    if (/Material Symbols/.test(getComputedStyle(el).fontFamily)) continue;  // an icon
    const range = document.createRange();
    range.selectNodeContents(node);
    const rect = [...range.getClientRects()].find((r) => r.width > 1 && r.height > 1);
    if (!rect || hidden(el) || cutOff(el, rect)) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGElement && el.getScreenCTM()) {
      const m = el.getScreenCTM();
      size *= Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
    }
    found.push({size: Math.round(size * 100) / 100, text: text.slice(0, 50), element: name(el),
                top: Math.round(rect.top + window.scrollY)});
  }
  found.sort((a, b) => a.size - b.size);
  return found.filter((f) => f.size < limit);
}
"""


def open_every_expander(page: Any, limit: int = 20) -> None:
    """Unfold every folding panel (one at a time: a page may rerun as one opens)."""
    closed = page.locator("[data-testid=stExpander] details:not([open]) > summary")
    for _ in range(limit):
        if not closed.count():
            break
        closed.first.click()
        time.sleep(0.3)
    time.sleep(0.7)


# Where the main chart and its Play button are on the screen as the page opens (viewport px),
# and whether the Play button is the element at its own centre (nothing covers it).
FIRST_SCREEN_JS = """
() => {
  const plot = document.querySelector('.js-plotly-plot');
  const box = plot.getBoundingClientRect();
  const play = [...plot.querySelectorAll('.updatemenu-button')]
    .find((b) => /Play/.test(b.textContent));
  const p = play.getBoundingClientRect();
  const hit = document.elementFromPoint(p.left + p.width / 2, p.top + p.height / 2);
  const round = (r) => ({top: Math.round(r.top), bottom: Math.round(r.bottom),
                         left: Math.round(r.left), right: Math.round(r.right)});
  return {chart: round(box), play: {...round(p), on_top: !!hit && play.contains(hit)}};
}
"""


def first_screen(page: Any) -> dict[str, Any]:
    """The main chart's and its Play button's boxes on the first screen (see FIRST_SCREEN_JS)."""
    result: dict[str, Any] = page.evaluate(FIRST_SCREEN_JS)
    return result


def full_page_screenshot(page: Any, path: Path) -> None:
    """A screenshot of the whole page. Streamlit scrolls inside its main container, not the
    window, so Playwright's ``full_page`` sees one screen: the viewport is made as tall as the
    content for the shot, then restored."""
    viewport = page.viewport_size
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }"
    )
    page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
    time.sleep(1.0)  # charts resize to the new viewport
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(viewport)
