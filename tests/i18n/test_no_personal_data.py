"""No message carries personal data, in any locale.

A message is a fixed text from :mod:`guest_orders.messages` whose only values are the
library's own limits and names (a length, the kinds of value, the choices of a field):
nothing a request carries can reach it. These tests hold every catalog to that; the
security tests (``tests/security``) render every error of their hostile requests, full
of canary personal data, in every locale and find none of it.
"""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guest_orders import GuestOrderError, GuestOrders, InMemoryStore, render_error
from guest_orders.i18n import LOCALES, translate
from guest_orders.messages import KINDS, MESSAGES
from guest_orders.throttling import NoAttemptLimiter

#: Every value a message may name, each a limit or a name of the library's.
SAFE_PLACEHOLDERS = {"limit", "max_length", "kind", "choices"}

#: What personal data looks like: an email, a long run of digits (a phone, an IBAN, a card).
_LOOKS_PERSONAL = re.compile(r"[\w.+-]+@[\w-]+\.\w+|\d{5,}|[A-Z]{2}\d{2}[A-Z0-9]{10,}")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("locale", LOCALES)
def test_messages_name_only_the_librarys_own_values(locale: str) -> None:
    for text in [*MESSAGES.values(), *KINDS.values()]:
        assert _placeholders(translate(text, locale)) <= SAFE_PLACEHOLDERS, text


@pytest.mark.parametrize("locale", LOCALES)
def test_no_message_text_looks_like_personal_data(locale: str) -> None:
    for text in [*MESSAGES.values(), *KINDS.values()]:
        assert not _LOOKS_PERSONAL.search(translate(text, locale)), text


_PERSONAL = st.from_regex(r"\A[a-z]{6,12}\.[a-z]{6,12}@example\.com\Z") | st.from_regex(
    r"\ATR\d{24}\Z"
)


@given(
    email=_PERSONAL,
    other=_PERSONAL,
    field=st.sampled_from(["email", "number", "iban", "holder_name", "description"]),
)
def test_a_request_s_personal_data_is_in_no_message_of_any_locale(
    email: str, other: str, field: str
) -> None:
    service = GuestOrders(store=InMemoryStore(), limiter=NoAttemptLimiter())
    payload = {
        "number": "2745403029312170",
        "email": email,
        "order_item": 1,
        "reason": 1,
        "cancellation_type": "refund",
        field: other,
    }
    for call in (service.lookup, service.request_cancellation):
        for locale in LOCALES:
            with pytest.raises(GuestOrderError) as raised:
                call(payload, locale=locale)
            body = repr(render_error(raised.value))
            assert email not in body
            assert other not in body
