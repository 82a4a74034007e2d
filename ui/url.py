"""Shareable links: every setting that changes what a page shows lives in the URL.

Widgets are bound with Streamlit's ``bind="query-params"``, which seeds them from the URL and
writes changes back. Streamlit silently drops a URL value it cannot use; a teacher who mistypes
a link deserves to know, so each page first passes its parameters through ``sanitize``: a value
that does not parse or is out of range is removed (the widget falls back to its default) and a
visible notice says so; a valid value in another spelling (``present=1``) is rewritten in the
form the widget understands (``present=true``). Nothing from the URL is ever evaluated as code.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitAPIException

_NOTICES = "_url_notices"  # notices kept across the rerun that follows a respelled link
_RESPELLED = "_url_respelled"  # keys already rewritten in this session
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Param:
    """One URL parameter bound to a widget of the same key.

    Attributes:
        key: the widget key and the URL parameter name.
        kind: "float", "int", "bool" or "choice".
        default: the widget's default (quoted in the notice).
        low, high: inclusive range for numbers.
        choices: allowed widget values for "choice".
        labels: how a selectbox shows each choice (its ``format_func``); Streamlit writes the
            label into the URL, and a link may use either the label or the short value.
    """

    key: str
    kind: str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    def typed(self, canonical: str) -> Any:
        """The widget value of a canonical URL string."""
        if self.kind == "bool":
            return canonical == "true"
        if self.kind == "float":
            return float(canonical)
        if self.kind == "int":
            return int(canonical)
        return self.choices[(self.labels or self.choices).index(canonical)]

    def parse(self, raw: str) -> str:
        """The canonical URL form of ``raw``, or ValueError saying why it is unusable."""
        text = raw.strip()
        if self.kind == "bool":
            if text.lower() in TRUE:
                return "true"
            if text.lower() in FALSE:
                return "false"
            raise ValueError("expected true or false")
        if self.kind == "choice":
            labels = self.labels or self.choices
            if text in labels:
                return text
            if text in self.choices:
                return labels[self.choices.index(text)]
            raise ValueError(f"expected one of {', '.join(self.choices)}")
        try:
            number = float(text) if self.kind == "float" else int(text)
        except ValueError:
            raise ValueError(
                f"expected {'a number' if self.kind == 'float' else 'an integer'}"
            ) from None
        if not math.isfinite(number):
            raise ValueError("expected a finite number")
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            raise ValueError(f"expected a value between {self.low:g} and {self.high:g}")
        return text


def sanitize(params: Iterable[Param]) -> list[str]:
    """Check the URL's values for ``params``; fix spellings, drop bad values, return notices.

    A value in another spelling (``present=1``, a choice's short name) is rewritten in the
    form the widget reads and the script starts again before any widget exists: the widget
    then takes its value from the URL like any other, and the address bar keeps it (a value
    handed over through session_state instead would show, but vanish from the address bar).
    """
    notices = st.session_state.pop(_NOTICES, [])  # from the run that rewrote the link
    respelled_before: set[str] = st.session_state.setdefault(_RESPELLED, set())
    respelled = False
    for param in params:
        if param.key not in st.query_params:
            continue
        raw = st.query_params[param.key]
        try:
            canonical = param.parse(raw)
        except ValueError as reason:
            with contextlib.suppress(StreamlitAPIException):  # bound: Streamlit clears it
                del st.query_params[param.key]
            notices.append(
                f"The link's `{param.key}={_shorten(raw)}` could not be used ({reason}); "
                f"showing the default, {param.default!r}."
            )
            continue
        first_time = param.key not in st.session_state  # its widget does not exist yet
        if canonical != raw and first_time and param.key not in respelled_before:
            st.query_params[param.key] = canonical
            respelled_before.add(param.key)  # once: a second rewrite would loop
            respelled = True
        elif first_time:
            # Hand the widget the value directly: Streamlit's own URL seeding drops a float
            # exactly at its minimum.
            st.session_state[param.key] = param.typed(canonical)
    if respelled:
        st.session_state[_NOTICES] = notices
        st.rerun()
    return notices


def show_notices(notices: Sequence[str]) -> None:
    """One warning box listing every rejected URL value."""
    if notices:
        st.warning("\n\n".join(notices), icon="🔗")


def _shorten(raw: str, limit: int = 40) -> str:
    text = raw.replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def share_link() -> None:
    """The link to exactly what the page shows, in a box with a copy button (for a teacher
    preparing a lesson: the same as the address bar, without having to find it)."""
    base = st.context.url
    if not base:  # no browser session (tests, bare mode)
        return
    query = urlencode(sorted(st.query_params.to_dict().items()))
    st.markdown("**Link to this run** — anyone who opens it sees the same settings:")
    st.code(f"{base}?{query}" if query else base, language=None, wrap_lines=True)
