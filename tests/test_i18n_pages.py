"""Every page in every language: no exception, nothing shown outside the catalogue.

For each page: English, Polish and Chinese runs raise nothing and ask the catalogue for no text
it lacks (``i18n.MISSING``); then the pseudo language (every catalogued text marked ``⟪…⟫``)
shows no word outside the marks — run after the English one in the same process, so that a
cache handing an English chart or sentence to another language is caught too. The language is
a shared setting: it survives a page switch and travels in the link.
"""

from __future__ import annotations

import pytest

import i18n
from tests.apptest import PAGES, figures, link, ok, open_link
from tests.i18n_check import leaked_words, leaks
from tests.lessons import LESSONS

PAGE_NAMES = [None, *PAGES]  # None: home
# A second shape of each lesson's stage, where its presets draw one (a preset's texts are
# those of the default's controls plus its own sentences; AppTest applies every preset in
# English elsewhere, and `python -m tests.i18n_check PAGE --presets` reads them all).
SECOND_PRESET = {
    "race": "Saddle escape",
    "training": "Too large a learning rate",
    "uncrumpling": "Circles: 2 units are not enough, 3 are",
    "backprop": "Why backprop wins at a million weights",
}


def _query(page, preset=None):
    if preset is None:
        return {}
    lesson = LESSONS[page]
    return lesson.encode(lesson.preset_values(preset))


CASES = [(page, None) for page in PAGE_NAMES] + list(SECOND_PRESET.items())
IDS = [f"{page or 'home'}-{preset or 'default'}" for page, preset in CASES]


@pytest.mark.parametrize(("page", "preset"), CASES, ids=IDS)
def test_a_page_reads_entirely_in_each_language(monkeypatch, page, preset):
    query = _query(page, preset)
    i18n.MISSING.clear()
    titles = {}
    for code in i18n.LANGUAGES:
        at = open_link(page, {**query, "lang": code})
        ok(at)
        titles[code] = at.title[0].value if at.title else ""
        assert link(at)["lang"] == code
    # A text asked for but not catalogued is a miss, unless it is only names and symbols that
    # read the same in every language (ReLU, tanh, XOR, b1_1).
    missed = sorted((code, text) for code, text in i18n.MISSING if leaked_words(text))
    assert not missed, missed[:10]
    if page is not None:
        assert len(set(titles.values())) == 3, titles  # the title is in each language
    monkeypatch.setenv(i18n.FORCE_ENV, i18n.PSEUDO)
    at = open_link(page, query)
    ok(at)
    found = leaks(at)
    assert not found, "\n".join(f"{kind}: {text!r} → {words}" for kind, text, words in found)


def test_the_language_survives_a_page_switch_and_is_in_every_link():
    # AppTest formats menu options in the test's own thread: in the session's language too.
    with i18n.language("pl"):
        at = open_link("race", {"lang": "pl"})
        ok(at)
        assert link(at)["lang"] == "pl"
        at.switch_page(PAGES["rolling_ball"]).run()
        ok(at)
        assert link(at)["lang"] == "pl"
        assert at.title[0].value == i18n._("The rolling ball")
    assert at.title[0].value != "The rolling ball"


def test_a_bad_language_in_a_link_is_refused_with_a_notice_and_english_is_used():
    at = open_link("rolling_ball", {"lang": "<script>"})
    ok(at)
    assert link(at)["lang"] == "en"
    assert "lang" in " ".join(w.value for w in at.warning)
    assert at.title[0].value == "The rolling ball"


def test_switching_the_language_keeps_the_run():
    """The language menu changes the words, not the experiment: every other value of the link
    stays, and the charts draw the same data."""
    lesson = LESSONS["race"]
    query = lesson.encode(lesson.preset_values("Saddle escape"))
    at = open_link("race", query)
    ok(at)
    before, charts = link(at), figures(at)
    at.session_state["lang"] = "zh"  # what choosing 中文 in the sidebar does
    at.run()
    ok(at)
    after = link(at)
    assert after.pop("lang") == "zh" and before.pop("lang") == "en"
    assert after == before
    again = figures(at)
    assert [trace.get("x") for chart in again for trace in chart["data"]] == [
        trace.get("x") for chart in charts for trace in chart["data"]
    ]
    assert again != charts  # the words did change
