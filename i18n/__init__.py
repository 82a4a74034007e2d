"""Translations: every text a learner reads goes through this module's catalogue.

The catalogue is gettext's, managed with Babel: ``pybabel extract`` collects every string marked
with ``_()``, ``N_()`` or ``ngettext()`` from the code into ``i18n/locales/messages.pot``;
``pybabel update`` merges it into ``i18n/locales/<lang>/LC_MESSAGES/messages.po``, which
translators edit; the ``.po`` files are compiled in memory when the first text of a language is
asked for (no ``.mo`` files to forget). ``tests/test_i18n.py`` fails when the template is out of
date with the code, or when a message lacks a translation, is fuzzy, or differs from its English
in its placeholders. The commands are in ``i18n/README.md``; the field's terms in each language
are in ``i18n/glossary.csv``.

Conventions (so that nothing shown escapes the catalogue):

* ``_("text")`` translates at the moment it runs: call it while a page runs, never at import.
* Texts declared at import time (labels, presets, registries) are marked with ``N_("text")``,
  which returns them unchanged, and translated with ``_()`` where they are drawn.
* Values go into a sentence by name, never by concatenation or f-string:
  ``_("Loss after {steps} steps: {loss}").format(steps=..., loss=number(x, ".3g"))``, so a
  translator can move them; numbers through ``number()``, which writes them as the language
  does (Polish ``0,05`` and ``10 000``). Values typed into inputs keep the dot.
* Errors a learner may read are ``Problem`` (a ``ValueError`` with a template and its values),
  translated by ``message(err)``.

The language of the current run comes from a *source* the UI installs (the session's setting);
``language("pl")`` overrides it for a block (tests, benchmarks, background work). The pseudo
language ``PSEUDO`` wraps every catalogued text in ``⟪…⟫``: a page drawn in it that shows any
word outside those marks shows a text that escaped the catalogue.
"""

from __future__ import annotations

import contextlib
import contextvars
import gettext as _gettext
import io
import os
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "pl", "zh")
LANGUAGE_NAMES = {"en": "English", "pl": "Polski", "zh": "中文"}  # each in its own language
DEFAULT = "en"
PSEUDO = "qps"  # a pseudo language for tests: every catalogued text marked, nothing translated
OPEN, CLOSE = "⟪", "⟫"
FORCE_ENV = "DESCENT_LAB_FORCE_LANGUAGE"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parent / "locales"

_override: contextvars.ContextVar[str | None] = contextvars.ContextVar("language", default=None)
_source: Callable[[], str | None] = lambda: None  # noqa: E731  (replaced by the UI)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it (translate where it is shown)."""
    return message


def set_language_source(source: Callable[[], str | None]) -> None:
    """Install where the current run's language comes from (the UI: the session's setting)."""
    global _source
    _source = source


@contextlib.contextmanager
def language(code: str) -> Iterator[None]:
    """Texts inside the block are in ``code`` whatever the source says."""
    token = _override.set(code)
    try:
        yield
    finally:
        _override.reset(token)


def current_language() -> str:
    """The language of the text being built: the override, else the source, else English.
    ``DESCENT_LAB_FORCE_LANGUAGE`` (tests only) forces one for every run in the process, e.g.
    the pseudo language under AppTest, whose script runs in threads of its own."""
    code = os.environ.get(FORCE_ENV) or _override.get() or _source() or DEFAULT
    return code if code in LANGUAGES or code == PSEUDO else DEFAULT


def negotiate(locale: str | None) -> str:
    """The offered language closest to a browser's locale (``"pl-PL"`` → ``"pl"``,
    ``"zh-Hans-CN"`` → ``"zh"``); English when none is offered or the locale is unknown."""
    if not locale:
        return DEFAULT
    primary = re.split(r"[-_]", locale.strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else DEFAULT


@cache
def translations(code: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``code`` (English: none, the texts are the msgids)."""
    if code == DEFAULT:
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo  # imported here: only when a language is used
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():  # a language being added: English until it has a catalogue
        return _gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=code)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


MISSING: set[tuple[str, str]] = set()  # (language, message) asked for but not catalogued
_MISSING_MAX = 1000  # a bound: the set is for tests, not a log


def gettext(message: str) -> str:
    """``message`` in the current language (the English itself where the catalogue lacks it,
    noted in ``MISSING``: a text passed to ``_()`` that ``pybabel extract`` never saw)."""
    code = current_language()
    if code == PSEUDO:
        return f"{OPEN}{message}{CLOSE}"
    if code == DEFAULT or not message:
        return message
    catalogue = translations(code)
    translated = catalogue.gettext(message)
    if translated is message and len(MISSING) < _MISSING_MAX:
        MISSING.add((code, message))
    return translated


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the current language (Polish has three:
    1 krok, 2 kroki, 5 kroków)."""
    code = current_language()
    if code == PSEUDO:
        return f"{OPEN}{singular if n == 1 else plural}{CLOSE}"
    if code == DEFAULT:
        return singular if n == 1 else plural
    return translations(code).ngettext(singular, plural, n)


@cache
def _symbols(code: str) -> tuple[str, str]:
    """(decimal, group) symbols of ``code`` from Babel's CLDR data."""
    if code in (DEFAULT, PSEUDO):
        return ".", ","
    from babel.numbers import get_decimal_symbol, get_group_symbol

    return get_decimal_symbol(code), get_group_symbol(code)


def number(value: float, spec: str = "g") -> str:
    """``value`` formatted by Python's ``spec`` (``".3g"``, ``",.0f"``, ``".1%"``; ``"r"``: the
    shortest text that reads back as the same float, ``repr``'s), then written
    with the current language's decimal and group symbols (Polish: ``0,05``, ``10 000``)."""
    text = repr(float(value)) if spec == "r" else format(value, spec)
    decimal, group = _symbols(current_language())
    if (decimal, group) == (".", ","):
        return text
    table: dict[str, str | int | None] = {".": decimal, ",": group}
    return text.translate(str.maketrans(table))


def plotly_separators() -> str:
    """Plotly's ``layout.separators`` (decimal then group) for the current language, so tick
    labels and hover values read as the sentences around them do."""
    decimal, group = _symbols(current_language())
    return decimal + group


class Problem(ValueError):
    """A ValueError a learner may read: a catalogue template and the values it names.

    ``str(err)`` is the English sentence (for logs and tests); ``message(err)`` the translated
    one. Raise as ``Problem(N_("batch size {batch} is larger than the {n} points"), batch=b,
    n=n)``; a template that counts something is a function returning an ``ngettext``, called in
    the language the message is read in: ``Problem(lambda: ngettext("{n} row", "{n} rows",
    n), n=n)``. Values are written as ``_shown`` says; whole numbers grouped (``5,001``) in a
    subclass that sets ``group_whole``.
    """

    group_whole = False
    float_spec = "r"  # a value quoted exactly: "lr must be positive, got -1.0"

    def __init__(self, template: str | Callable[[], str], **values: Any) -> None:
        self.template = template
        self.values = values
        with language(DEFAULT):
            english = self.translated()
        super().__init__(english)

    def translated(self) -> str:
        """The sentence in the current language."""
        template = gettext(self.template) if isinstance(self.template, str) else self.template()
        shown = {k: _shown(v, self.group_whole, self.float_spec) for k, v in self.values.items()}
        return template.format(**shown)


class ProblemWithCounts(Problem):
    """A ``Problem`` about amounts: whole numbers grouped from 1000 on (``5,001 rows``), floats
    to six significant digits (``All labels are 1``)."""

    group_whole = True
    float_spec = "g"


def _shown(value: Any, group: bool = False, float_spec: str = "r") -> Any:
    """A value in a sentence, in the language's symbols: a float by ``float_spec`` (``"r"``:
    as Python writes it shortest, ``5.0``, ``1e-05``; Polish ``5,0``), a whole number as it is,
    or grouped from 1000 on when ``group`` (``5,001`` / ``5 001``); anything else as it is."""
    if isinstance(value, bool) or (
        not isinstance(value, int | float) and not hasattr(value, "item")
    ):
        return value
    if hasattr(value, "item"):  # a NumPy scalar
        return _shown(value.item(), group, float_spec)
    if isinstance(value, float):
        return number(value, float_spec)
    return number(value, ",d" if group and abs(value) >= 1000 else "d")


def message(err: BaseException) -> str:
    """What a learner reads about ``err``: the translated sentence of a ``Problem``; otherwise
    the exception's own text (English only: anything shown this way should become a Problem)."""
    return err.translated() if isinstance(err, Problem) else str(err)
