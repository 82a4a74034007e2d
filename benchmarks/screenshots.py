"""Screenshots of every page on a laptop and on a projector, to look at (issue 9).

    python benchmarks/screenshots.py [FOLDER [PAGE ...]]
    (default /tmp/descent-lab-shots and every page)

Starts the app as the Docker image would (``tests.browser_support.serve``) and drives Debian's
Chromium. For every page it saves four PNGs: at 1366×768 the first screen and the whole page,
and in projector mode (``?present=true``) at 1920×1080 the first screen and the whole page.
Prints one JSON object: the files; for each lesson and mode where the main chart's top and its
Play button are on the first screen (px from the top of the viewport); in projector mode the
smallest visible text (the same measure as the browser test); and anything the browser console
reported (page errors, console errors, failed requests).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import browser_support as bs  # noqa: E402

PAGES = ("home", *bs.LESSONS)
MODES = {"laptop": (bs.LAPTOP, ""), "projector": (bs.PROJECTOR, "?present=true")}


def shoot(browser: Any, server: str, page_name: str, mode: str, folder: Path) -> dict[str, Any]:
    """One page in one mode: its two screenshots and what was measured on it."""
    viewport, link = MODES[mode]
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    console: list[str] = []
    page.on("pageerror", lambda e: console.append(f"page error: {e}"))
    page.on("console", lambda m: console.append(f"console.{m.type}: {m.text} "
                                                f"({m.location.get('url')})")
            if m.type in ("error", "warning") else None)  # fmt: skip
    page.on("response", lambda r: console.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 else None)  # fmt: skip
    path = "" if page_name == "home" else page_name
    page.goto(f"{server}/{path}{link}")
    result: dict[str, Any] = {}
    if page_name == "home":
        page.get_by_text("Settings for every page").wait_for(timeout=60_000)
        time.sleep(2.0)
    else:
        bs.settle(page)
        result["first_screen"] = bs.first_screen(page)
        if mode == "projector":
            smallest = page.evaluate(bs.SMALLEST_TEXT_JS, 1000)
            result["smallest_text"] = smallest[0] if smallest else None
    first = folder / f"{page_name}-{mode}-first-screen.png"
    page.screenshot(path=str(first))
    whole = folder / f"{page_name}-{mode}-full-page.png"
    bs.full_page_screenshot(page, whole)
    context.close()
    result |= {"files": [str(first), str(whole)], "console": console}
    return result


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/descent-lab-shots")
    folder.mkdir(parents=True, exist_ok=True)
    wanted = sys.argv[2:] or PAGES
    unknown = sorted(set(wanted) - set(PAGES))
    if unknown:
        raise SystemExit(f"no such page: {', '.join(unknown)} (pages: {', '.join(PAGES)})")
    from playwright.sync_api import sync_playwright

    report: dict[str, Any] = {"folder": str(folder), "pages": {}}
    with bs.serve() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(bs.CHROMIUM), args=bs.ARGS)
        # A deep link first (see tests/test_browser.py): the fresh server's first request.
        for page_name in [p for p in (*bs.LESSONS, "home") if p in wanted]:
            for mode in MODES:
                shot = shoot(browser, server, page_name, mode, folder)
                report["pages"][f"{page_name}-{mode}"] = shot
        browser.close()
    report["files"] = [f for shot in report["pages"].values() for f in shot["files"]]
    print(json.dumps(report, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
