"""Shareable links: the URL holds every value of the page's parameters, always.

Streamlit's own ``bind="query-params"`` leaves a value out of the URL when it equals the
*widget's* default, so a link reopened a different run whenever a preset had set another one.
Here the lesson's declaration (``ui.params.Lesson``) is the only source: on the first run of a
page in a session its values come from the link (or the declared defaults); after that from the
widgets; and after every run the whole set is written back into the URL — default or not, in one
canonical spelling — the way TensorFlow Playground serialises its state. A link therefore always
reopens exactly the same run, whatever its defaults are.

A value the link gets wrong is never used: the declared default is, and a notice says which value
was refused and why. Repeated keys, unknown keys and values cut to fit other settings are named
too. Text from the URL is quoted literally (escaped, inside code spans), never rendered as
Markdown or HTML, and nothing from it is ever evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from i18n import _, message
from ui.params import MAX_RAW, Lesson, Values

_STORE = "_lesson_values"  # key → value of every parameter of every page seen in this session


def literal(raw: str, limit: int = MAX_RAW) -> str:
    """``raw`` as inert text inside a Markdown code span: control characters, line breaks and
    non-ASCII are escaped (``\\n``, ``\\u0663``), backticks replaced, the length capped."""
    escaped = raw.encode("unicode_escape").decode("ascii").replace("`", "'")
    if len(escaped) > limit:
        escaped = escaped[: limit - 1] + "…"
    return f"`{escaped}`"


def own_text(text: str) -> str:
    """The product's own ``text`` (a label, possibly translated) as a Markdown code span."""
    return "`" + text.replace("`", "'") + "`"


def _store() -> Values:
    store: Values = st.session_state.setdefault(_STORE, {})
    return store


def read_link(lesson: Lesson, known: Iterable[str] = (), report_unknown: bool = True) -> tuple[
    Values, list[str]
]:  # fmt: skip
    """The values the link gives for ``lesson``, and a notice for everything it gets wrong."""
    values: Values = {}
    notices: list[str] = []
    params = {p.key: p for p in lesson.params}
    known_keys = set(known)
    for key in st.query_params:
        if key not in params:
            if report_unknown and key not in known_keys:
                notices.append(_("The link's {key} is not a setting of this page; it was "
                                 "ignored.").format(key=literal(key)))  # fmt: skip
            continue
        raws = st.query_params.get_all(key)
        raw = raws[-1]
        param = params[key]
        if len(raws) > 1:
            notices.append(_("The link gives {key} {count} times; the last one, {raw}, was "
                             "used.").format(key=literal(key), count=len(raws),
                                             raw=literal(raw)))  # fmt: skip
        try:
            values[key] = param.parse(raw)
        except ValueError as reason:
            notices.append(
                _("The link's {key} = {raw} could not be used ({reason}); showing the "
                  "default, {default}.").format(key=literal(key), raw=literal(raw),
                                                reason=message(reason),
                                                default=own_text(param.shown(param.default)))
            )  # fmt: skip
    return values, notices


def sync(lesson: Lesson, from_link: bool, known: Iterable[str] = (),
         report_unknown: bool = True) -> list[str]:  # fmt: skip
    """Bring ``lesson``'s values into session state before its widgets are drawn.

    On a page's first run in a session (``from_link``) they come from the link, or the declared
    defaults where it gives none (the shared settings keep their session values instead); on
    later runs from the widgets and callbacks, or — for a widget not drawn in the last run,
    whose value Streamlit discards — from the values kept for this session. Every value is then
    set through session state, which also stops Streamlit from discarding it after this run.
    Returns the notices about the link and about values cut to fit each other.
    """
    state = st.session_state
    store = _store()
    notices: list[str] = []
    for p in lesson.params:
        if p.key in state and state[p.key] is not None:
            store[p.key] = state[p.key]
        store.setdefault(p.key, p.coerce(p.default))
    if from_link:
        given, notices = read_link(lesson, known, report_unknown)
        for p in lesson.params:
            if p.key in given:
                store[p.key] = given[p.key]
            elif not lesson.keep_unlinked:
                store[p.key] = p.coerce(p.default)
    if lesson.constrain is not None:
        notices += lesson.constrain(store)
    for p in lesson.params:
        state[p.key] = store[p.key]
    return notices


def keep(lesson: Lesson) -> None:
    """Take the widgets' current values into the kept ones (inside a fragment, whose reruns
    skip the page's ``sync``)."""
    store = _store()
    for p in lesson.params:
        if p.key in st.session_state and st.session_state[p.key] is not None:
            store[p.key] = st.session_state[p.key]


def values(lesson: Lesson) -> Values:
    """The current values of ``lesson``'s parameters (defaults before the first ``sync``)."""
    store = _store()
    return {p.key: store.get(p.key, p.coerce(p.default)) for p in lesson.params}


def set_values(lesson: Lesson, new: Values) -> None:
    """Set parameters from a callback (presets, buttons): the widgets and the kept values."""
    store = _store()
    for key, value in new.items():
        lesson.param(key)  # KeyError for an undeclared key
        store[key] = value
        st.session_state[key] = value


def publish(*lessons: Lesson) -> None:
    """Write every value of ``lessons`` into the URL (replacing whatever else was there)."""
    query: dict[str, str] = {}
    for lesson in lessons:
        query |= lesson.encode(values(lesson))
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)


def show_notices(notices: Sequence[str]) -> None:
    """One warning box listing every notice about the link."""
    if notices:
        st.warning("\n\n".join(notices), icon=":material/link_off:")


def link_query(*lessons: Lesson) -> str:
    """The query string of the current run (what the address bar holds)."""
    query: dict[str, Any] = {}
    for lesson in lessons:
        query |= lesson.encode(values(lesson))
    return urlencode(query)


def share_link(*lessons: Lesson) -> None:
    """The link to exactly what the page shows, in a box with a copy button (for a teacher
    preparing a lesson: the same as the address bar, without having to find it)."""
    base = st.context.url
    if not base:  # no browser session (tests, bare mode)
        return
    query = link_query(*lessons)
    base = base.split("?")[0]
    st.markdown(_("**Link to this run** — anyone who opens it sees the same settings:"))
    st.code(f"{base}?{query}" if query else base, language=None, wrap_lines=True)
