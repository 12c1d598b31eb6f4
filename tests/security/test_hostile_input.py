"""Hostile input: every size is bounded at its documented limit, control characters and lone
surrogates are refused in every text field, and confusable emails never match."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from _builders import (
    APPROVED_ITEM,
    GUEST_NUMBER,
    NOW,
    PREPARING_ITEM,
    addresses,
    cash_order,
    companies,
    guest_order,
    reasons,
)
from guest_orders.adapters.memory import InMemoryStore
from guest_orders.adapters.web import DEFAULT_MAX_BODY_BYTES, create_app
from guest_orders.clocks import FixedClock
from guest_orders.errors import InvalidRequest, OrderNotFound
from guest_orders.policy import EmailMatch, Policy
from guest_orders.service import GuestOrders
from guest_orders.throttling import NoAttemptLimiter
from guest_orders.transport import MAX_FORM_FIELDS
from guest_orders.wire import render_error
from web._web_support import AppClient

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


def data_url(content: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(content).decode()


def service(
    *, user_email: str = "Guest.Buyer@example.com", policy: Policy | None = None
) -> GuestOrders:
    orders = [attrs.evolve(o, user_email=user_email) for o in (guest_order(), cash_order())]
    store = InMemoryStore(
        orders=orders, reasons=reasons(), shipping_companies=companies(), addresses=addresses()
    )
    return GuestOrders(
        store=store, clock=FixedClock(NOW), policy=policy or Policy(), limiter=NoAttemptLimiter()
    )


def call(guest: GuestOrders, endpoint: str, owner_email: str, **fields: Any) -> Any:
    head = {"number": GUEST_NUMBER, "email": owner_email}
    if endpoint == "lookup":
        return guest.lookup({**head, **fields})
    item = {"order_item": APPROVED_ITEM, "reason": 1, "cancellation_type": "cancel", **fields}
    if endpoint == "single":
        return guest.request_cancellation({**head, **item})
    return guest.request_bulk_cancellation({**head, "cancel_order_items": [item]})


ENDPOINTS = ["lookup", "single", "bulk"]


# --- confusable emails never match ---------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("match", list(EmailMatch))
@pytest.mark.parametrize(
    ("stored", "given"),
    [
        ("dilek@example.com", "dılek@example.com"),  # Turkish dotless i
        ("DILEK@example.com", "DİLEK@example.com"),  # Turkish dotted capital I
        ("dilek@example.com", "ｄｉｌｅｋ@example.com"),  # full-width letters
        ("dilek@example.com", "dilek@exаmple.com"),  # Cyrillic а in the domain
        ("dilek@example.com", "dіlek@example.com"),  # Cyrillic і in the local part
        ("strasse@example.com", "straße@example.com"),  # German sharp s
        ("ﬁle@example.com", "file@example.com"),  # a ligature, stored
        ("file@example.com", "ﬁle@example.com"),  # a ligature, given
    ],
)
def test_confusable_emails_never_match(
    endpoint: str, match: EmailMatch, stored: str, given: str
) -> None:
    guest = service(user_email=stored, policy=Policy(email_match=match))
    call(guest, "lookup", stored)  # the stored email itself matches
    with pytest.raises(OrderNotFound) as confusable:
        call(guest, endpoint, given)
    with pytest.raises(OrderNotFound) as unrelated:
        call(guest, endpoint, "someone.else@example.com")
    assert render_error(confusable.value) == render_error(unrelated.value)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    ("stored", "given"),
    [
        ("josé@example.com", "jose\u0301@example.com"),  # NFC and NFD: one address
        ("dilek@example.com", "dilek@EXAMPLE.com"),  # the domain is case-insensitive
        # The domain follows IDNA (UTS #46), as mail does: full-width letters there are
        # the ASCII ones, the same domain. The local part is never folded (above).
        ("dilek@example.com", "dilek@ｅｘａｍｐｌｅ.com"),
    ],
)
def test_equivalent_spellings_of_one_address_do_match(
    endpoint: str, stored: str, given: str
) -> None:
    call(service(user_email=stored), endpoint, given)


# --- control characters and lone surrogates, in every text field ---------------------------

BAD = {
    "NUL": "\x00",
    "BEL": "\x07",
    "ESC": "\x1b",
    "DEL": "\x7f",
    "C1 NEL": "\x85",
    "C1 CSI": "\x9b",
    "lone high surrogate": "\ud800",
    "lone low surrogate": "\udfff",
}
LINE_BREAKS = {"LF": "\n", "CR": "\r", "TAB": "\t"}

# field -> (endpoint, how to put the text in, codes it may be refused with)
_ITEM_TEXT: dict[str, Any] = {
    "number": ("lookup", lambda t: {"number": f"27454{t}03029312170"}, {"invalid_characters"}),
    "email": ("lookup", lambda t: {"email": f"guest{t}.buyer@example.com"}, {"invalid_email"}),
    "email domain": ("lookup", lambda t: {"email": f"guest@exam{t}ple.com"}, {"invalid_email"}),
    "description": ("single", lambda t: {"description": f"Too {t}late"}, {"invalid_characters"}),
    "holder_name": (
        "single",
        lambda t: {"holder_name": f"Ayşe{t} Yılmaz"},
        {"invalid_characters"},
    ),
    "iban": ("single", lambda t: {"iban": f"TR3300061005{t}19786457841326"}, {"invalid_iban"}),
    "cancellation_type": (
        "single",
        lambda t: {"cancellation_type": f"can{t}cel"},
        {"invalid_choice"},
    ),
    "pickup date": (
        "bulk",
        lambda t: {
            "pickup_date": {
                "date": f"2024-06-2{t}",
                "hour_range": {"start": "09:00", "end": "12:00"},
            }
        },
        {"invalid_date"},
    ),
    "pickup hour": (
        "bulk",
        lambda t: {
            "pickup_date": {
                "date": "2024-06-20",
                "hour_range": {"start": f"09:0{t}", "end": "12:00"},
            }
        },
        {"invalid_time"},
    ),
    "image": (
        "bulk",
        lambda t: {"cancellation_request_image_set": [{"image": data_url(PNG) + t}]},
        {"invalid_image"},
    ),
    "image description": (
        "bulk",
        lambda t: {
            "cancellation_request_image_set": [{"image": data_url(PNG), "description": f"box{t}"}]
        },
        {"invalid_characters"},
    ),
}


def _codes(tree: Any) -> set[str]:
    if isinstance(tree, str):
        return {tree}
    if isinstance(tree, dict):
        return set().union(*(_codes(v) for v in tree.values()))
    if isinstance(tree, list):
        return set().union(*(_codes(v) for v in tree))
    return set()


@pytest.mark.parametrize("char", BAD.values(), ids=list(BAD))
@pytest.mark.parametrize("field", list(_ITEM_TEXT))
def test_control_characters_and_lone_surrogates_are_refused(field: str, char: str) -> None:
    endpoint, put, codes = _ITEM_TEXT[field]
    with pytest.raises(InvalidRequest) as caught:
        call(service(), endpoint, "Guest.Buyer@example.com", **put(char))
    assert _codes(render_error(caught.value)["codes"]) == codes


# Python counts these control characters as whitespace; they are refused, not stripped.
EDGE_CONTROLS = {
    "VT": "\x0b",
    "FF": "\x0c",
    "FS": "\x1c",
    "US": "\x1f",
    "NEL": "\x85",
    "NUL": "\x00",
}
EDGES: dict[str, tuple[str, str, str, set[str]]] = {
    "number": ("lookup", "number", GUEST_NUMBER, {"invalid_characters"}),
    "email": ("lookup", "email", "Guest.Buyer@example.com", {"invalid_email"}),
    "holder_name": ("single", "holder_name", "Ayşe Yılmaz", {"invalid_characters"}),
    "description": ("single", "description", "Too late", {"invalid_characters"}),
    "iban": ("single", "iban", "TR330006100519786457841326", {"invalid_iban"}),
}


@pytest.mark.parametrize("char", EDGE_CONTROLS.values(), ids=list(EDGE_CONTROLS))
@pytest.mark.parametrize("field", list(EDGES))
@pytest.mark.parametrize("where", ["before", "after"])
def test_control_characters_at_either_end_are_refused_not_stripped(
    field: str, char: str, where: str
) -> None:
    endpoint, name, valid, codes = EDGES[field]
    value = char + valid if where == "before" else valid + char
    with pytest.raises(InvalidRequest) as caught:
        call(service(), endpoint, "Guest.Buyer@example.com", **{name: value})
    assert _codes(render_error(caught.value)["codes"]) == codes


@pytest.mark.parametrize("field", list(EDGES))
def test_spaces_tabs_and_line_breaks_at_either_end_are_stripped(field: str) -> None:
    endpoint, name, valid, _ = EDGES[field]
    value = " \t\r\n\u00a0\u3000" + valid + "\u2028 \n"
    refused: set[str] = set()
    try:
        call(service(), endpoint, "Guest.Buyer@example.com", **{name: value})
    except InvalidRequest as error:  # refused by a rule of the order, never for the text
        refused = _codes(render_error(error)["codes"])
    assert not refused & {"invalid_characters", "invalid_email", "invalid_iban"}


@pytest.mark.parametrize("char", LINE_BREAKS.values(), ids=list(LINE_BREAKS))
@pytest.mark.parametrize("field", list(_ITEM_TEXT))
def test_line_breaks_only_in_free_text(field: str, char: str) -> None:
    endpoint, put, codes = _ITEM_TEXT[field]
    try:
        call(service(), endpoint, "Guest.Buyer@example.com", **put(char))
    except InvalidRequest as error:
        refused = _codes(render_error(error)["codes"])
    else:
        refused = set()
    free_text = field in {"description", "image description"}
    assert refused == (set() if free_text else codes), refused


# --- every size is bounded, at its documented limit ----------------------------------------

SMALL = Policy(max_image_bytes=64, max_images=2, max_bulk_items=3)


def _items(count: int) -> dict[str, Any]:
    return {
        "cancel_order_items": [
            {"order_item": pk, "reason": 1, "cancellation_type": "cancel"}
            for pk in range(1, count + 1)
        ]
    }


# (name, endpoint, fields at the limit, fields one past it, the code past it, policy)
LIMITS: list[tuple[str, str, dict[str, Any], dict[str, Any], str, Policy]] = [
    ("number", "lookup", {"number": "1" * 64}, {"number": "1" * 65}, "max_length", Policy()),
    (
        "number (policy)",
        "lookup",
        {"number": "1" * 10},
        {"number": "1" * 11},
        "max_length",
        Policy(max_number_length=10),
    ),
    (
        "email",
        "lookup",
        {"email": "a" * 64 + "@" + ".".join(["b" * 61] * 3) + ".com"},
        {"email": "a" * 64 + "@" + ".".join(["b" * 61] * 3) + ".comm"},
        "max_length",
        Policy(),
    ),
    (
        "description",
        "single",
        {"description": "d" * 1000},
        {"description": "d" * 1001},
        "max_length",
        Policy(),
    ),
    (
        "holder name",
        "single",
        {"holder_name": "h" * 255},
        {"holder_name": "h" * 256},
        "max_length",
        Policy(),
    ),
    (
        "iban as given",
        "single",
        {"iban": "TR33  0006  1005 1978 6457 8413 26"},  # 34 characters, 26 without spaces
        {"iban": "TR33  0006  1005  1978 6457 8413 26"},
        "max_length",
        Policy(),
    ),
    ("items", "bulk", _items(3), _items(4), "too_many_items", SMALL),
    (
        "images",
        "bulk",
        {"cancellation_request_image_set": [{"image": data_url(PNG)}] * 2},
        {"cancellation_request_image_set": [{"image": data_url(PNG)}] * 3},
        "too_many_images",
        SMALL,
    ),
    (
        "image bytes",
        "bulk",
        {"cancellation_request_image_set": [{"image": data_url(PNG.ljust(64, b"\x00"))}]},
        {"cancellation_request_image_set": [{"image": data_url(PNG.ljust(65, b"\x00"))}]},
        "image_too_large",
        SMALL,
    ),
]


def _call_with(endpoint: str, fields: dict[str, Any], policy: Policy) -> set[str]:
    """The codes the request is refused with (none if it gets past parsing)."""
    guest = service(policy=policy)
    head = {"number": GUEST_NUMBER, "email": "Guest.Buyer@example.com"}
    item = {"order_item": APPROVED_ITEM, "reason": 1, "cancellation_type": "cancel"}
    method: Callable[[dict[str, Any]], Any]
    if endpoint == "lookup":
        payload: dict[str, Any] = {**head, **fields}
        method = guest.lookup
    elif endpoint == "single":
        payload, method = {**head, **item, **fields}, guest.request_cancellation
    elif "cancel_order_items" in fields:
        payload, method = {**head, **fields}, guest.request_bulk_cancellation
    else:
        refund = {
            "order_item": PREPARING_ITEM,
            "reason": 2,
            "cancellation_type": "refund",
            "shipping_company": 10,
        }
        payload = {**head, "cancel_order_items": [{**refund, **fields}]}
        method = guest.request_bulk_cancellation
    try:
        method(payload)
    except (InvalidRequest, OrderNotFound) as error:
        return _codes(render_error(error)["codes"])
    return set()


_PARSE_CODES = {"max_length", "too_many_items", "too_many_images", "image_too_large"}


@pytest.mark.parametrize(
    ("endpoint", "at_limit", "past_limit", "code", "policy"),
    [row[1:] for row in LIMITS],
    ids=[row[0] for row in LIMITS],
)
def test_every_size_is_bounded_at_its_limit(
    endpoint: str, at_limit: dict[str, Any], past_limit: dict[str, Any], code: str, policy: Policy
) -> None:
    assert not _call_with(endpoint, at_limit, policy) & _PARSE_CODES
    assert code in _call_with(endpoint, past_limit, policy)


def test_the_whole_body_is_bounded() -> None:
    client = AppClient(create_app(service(), max_body_bytes=1000))
    at_limit = b'{"number": "1", "email": "a@example.com", "x": "' + b"y" * 950
    at_limit += b" " * (999 - len(at_limit)) + b"}"
    assert len(at_limit) == 1000
    ok = client.post(
        "/users/orders/anonymous/", content=at_limit, headers={"Content-Type": "application/json"}
    )
    assert ok.json()["code"] == "parse_error"  # read (and found malformed), not refused for size
    too_large = client.post(
        "/users/orders/anonymous/",
        content=at_limit + b" ",
        headers={"Content-Type": "application/json"},
    )
    assert too_large.status_code == 413
    assert DEFAULT_MAX_BODY_BYTES == 8 * 1024 * 1024


def test_form_fields_are_bounded() -> None:
    client = AppClient(create_app(service()))
    fields = "&".join(f"f{i}=x" for i in range(MAX_FORM_FIELDS + 1))
    response = client.post(
        "/users/orders/anonymous/",
        content=fields.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_deeply_nested_json_is_a_parse_error() -> None:
    client = AppClient(create_app(service()))
    body = b"[" * 100_000 + b"]" * 100_000
    response = client.post(
        "/users/orders/anonymous/", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (10**5000, "max_value"),
        (2**63, "max_value"),
        (-(10**5000), "min_value"),
        (0, "min_value"),
        (1e308, "invalid_type"),
        (float("inf"), "invalid_type"),
        (float("nan"), "invalid_type"),
        (True, "invalid_type"),
    ],
    ids=["10**5000", "2**63", "-10**5000", "0", "1e308", "inf", "nan", "true"],
)
def test_numbers_out_of_range_are_refused(value: Any, code: str) -> None:
    assert _call_with("single", {"order_item": value, "quantity": value}, Policy()) == {code}


def test_a_huge_integer_number_is_refused_before_it_is_printed() -> None:
    assert _call_with("lookup", {"number": 10**100_000}, Policy()) == {"max_length"}
