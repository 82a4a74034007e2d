"""The catalogue: complete, current and consistent in every language; the module's own rules.

* The template (``messages.pot``) holds exactly the messages ``pybabel extract`` finds in the
  code today, and every language's ``.po`` holds exactly those.
* Every message has a Polish and a Chinese translation that is not empty, not fuzzy, and names
  the same placeholders (``{steps}``) as its English; plural messages have every form.
* The glossary's core terms are translated as the glossary says wherever they occur.
* Languages: negotiation from a browser locale, numbers in the language's symbols, plurals,
  the pseudo language's marks, and ``Problem`` translated.
"""

from __future__ import annotations

import csv
import functools
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import i18n
from i18n import LOCALE_DIR, Problem, language, negotiate, ngettext, number
from tests.i18n_check import leaked_words

ROOT = Path(__file__).resolve().parents[1]
TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]
TEMPLATE = LOCALE_DIR / "messages.pot"


@functools.cache
def _po(code: str):
    with (LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=code)


def _ids(catalog) -> set:
    return {m.id for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages the code holds today (what ``pybabel extract`` writes)."""
    out = tmp_path_factory.mktemp("pot") / "now.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "N_", "-o", str(out), "--no-location", "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with out.open("rb") as pot:
        return read_po(pot)


def test_the_template_is_what_the_code_holds(extracted):
    with TEMPLATE.open("rb") as pot:
        template = read_po(pot)
    missing = _ids(extracted) - _ids(template)
    stale = _ids(template) - _ids(extracted)
    assert not missing, f"run pybabel extract (i18n/README.md): new messages {sorted(missing)[:10]}"
    assert not stale, f"run pybabel extract: messages no longer in the code {sorted(stale)[:10]}"
    assert len(template) > 500  # the whole lab, not a sample


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_language_has_exactly_the_templates_messages(code):
    with TEMPLATE.open("rb") as pot:
        template = read_po(pot)
    catalog = _po(code)
    assert _ids(catalog) == _ids(template), "run pybabel update (i18n/README.md)"
    assert not catalog.obsolete or all(m.string in ("", None) for m in catalog.obsolete.values())


def _placeholders(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_not_fuzzy_and_keeps_its_placeholders(code):
    catalog = _po(code)
    empty, fuzzy, placeholders = [], [], []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            fuzzy.append(ids[0])
        if not all(s and s.strip() for s in strings):
            empty.append(ids[0])
            continue
        wanted = _placeholders(ids[-1])
        if any(_placeholders(s) != wanted for s in strings):
            placeholders.append((ids[0], strings))
    assert not empty, f"{len(empty)} untranslated, e.g. {empty[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"
    assert not placeholders, placeholders[:5]


@pytest.mark.parametrize("code", TRANSLATED)
def test_plural_messages_have_every_form_of_the_language(code):
    catalog = _po(code)
    for message in catalog:
        if message.id and isinstance(message.id, tuple):
            assert len(message.string) == catalog.num_plurals, message.id


with (ROOT / "i18n" / "glossary.csv").open(encoding="utf-8") as _glossary:
    GLOSSARY = list(csv.DictReader(_glossary))


def test_the_glossary_covers_the_issues_terms_in_both_languages():
    terms = {row["en"]: row for row in GLOSSARY}
    assert terms["gradient descent"]["pl"] == "spadek gradientu"
    assert terms["learning rate"]["zh"] == "学习率"
    assert terms["backpropagation"]["pl"] == "propagacja wsteczna"
    assert all(row["pl"] and row["zh"] for row in GLOSSARY)


@pytest.mark.parametrize("code", TRANSLATED)
def test_core_terms_are_translated_as_the_glossary_says(code):
    catalog = _po(code)
    wrong = []
    for row in GLOSSARY:
        check = row[f"{code}_check"]
        if not check:
            continue
        term = re.compile(rf"\b{re.escape(row['en'])}(e?s)?\b", re.IGNORECASE)
        for message in catalog:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            prose = re.sub(r"\{[^}]*\}|`[^`]*`", " ", ids[0])  # not a placeholder's name
            if not message.id or not term.search(prose):
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(check.lower() in s.lower() for s in strings):
                wrong.append((row["en"], ids[0][:60], strings[0][:60]))
    assert not wrong, f"{len(wrong)}: {wrong[:8]}"


def test_translations_are_not_the_english_left_in_place():
    """A Polish or Chinese text that still reads as English sentences was not translated."""
    for code in TRANSLATED:
        left = []
        for message in _po(code):
            if not message.id or isinstance(message.id, tuple):
                continue
            words = re.findall(r"[A-Za-z]{2,}", re.sub(r"\{[^}]*\}|\$[^$]*\$", " ", message.id))
            if len(words) >= 4 and message.string == message.id:
                left.append(message.id)
        assert not left, (code, left[:5])


@pytest.mark.parametrize(
    ("locale", "code"),
    [("pl-PL", "pl"), ("pl", "pl"), ("zh-CN", "zh"), ("zh-Hans-CN", "zh"), ("zh_TW", "zh"),
     ("en-GB", "en"), ("de-DE", "en"), ("", "en"), (None, "en"), ("x" * 300, "en")],
)  # fmt: skip
def test_a_browser_locale_chooses_an_offered_language_or_english(locale, code):
    assert negotiate(locale) == code


def test_numbers_are_written_with_the_languages_symbols():
    assert number(12345.678, ",.2f") == "12,345.68"
    with language("pl"):
        assert number(12345.678, ",.2f") == "12\N{NO-BREAK SPACE}345,68"
        assert number(0.05, "g") == "0,05"
        assert number(3, "d") == "3"
        assert i18n.plotly_separators() == ",\N{NO-BREAK SPACE}"
    with language("zh"):
        assert number(0.05, "g") == "0.05"
        assert i18n.plotly_separators() == ".,"


def test_polish_has_three_plural_forms():
    singular, plural = "{n} step", "{n} steps"
    with TEMPLATE.open("rb") as pot:
        plurals = [m.id for m in read_po(pot) if isinstance(m.id, tuple)]
    if (singular, plural) not in plurals:
        pytest.skip("no message uses this plural")
    with language("pl"):
        forms = {ngettext(singular, plural, n).format(n=n) for n in (1, 2, 5)}
    assert len(forms) == 3, forms


def test_the_pseudo_language_marks_every_catalogued_text():
    with language(i18n.PSEUDO):
        shown = i18n._("Learning rate") + " " + ngettext("{n} step", "{n} steps", 2).format(n=2)
    assert shown == "⟪Learning rate⟫ ⟪2 steps⟫"
    assert leaked_words(shown) == []
    assert leaked_words("⟪Loss⟫ after 3 ⟪steps⟫ of Adam") == ["after", "of"]
    assert leaked_words("⟪Run ⟪Adam⟫ diverged⟫ %{x:.2f} <b>⟪ok⟫</b> `raw`") == []
    assert leaked_words("<b>ok</b>") == ["ok"]


def test_a_problem_reads_in_english_and_translates_its_template():
    err = Problem(i18n.N_("expected a value from {low} to {high}"), low="0", high="1")
    assert str(err) == "expected a value from 0 to 1"
    assert isinstance(err, ValueError)
    with language("pl"):
        shown = i18n.message(err)
    assert shown != str(err) and "0" in shown and "1" in shown
    assert i18n.message(ValueError("plain")) == "plain"


def test_an_unknown_language_falls_back_to_english():
    with language("xx"):
        assert i18n.current_language() == "en"
        assert i18n._("Learning rate") == "Learning rate"
