"""Figure 2: request parsing, untrusted payload -> command.

Baselines are hand-written strict validators doing the same checks for the same fields
and building the same domain objects; the lookup baseline is a bare
``email_validator.validate_email(..., check_deliverability=False)`` call plus the checks
on the number.
"""

from __future__ import annotations

import contextlib
from typing import Any

from email_validator import EmailNotValidError, validate_email

from fixtures import BULK_POLICY, bulk_payload, lookup_payload, make_order
from guest_orders.domain import CancelItem, CancellationCommand, CancellationType, LookupQuery
from guest_orders.errors import InvalidRequest
from guest_orders.wire import parse_bulk_cancellation, parse_lookup
from harness import ROUNDS, Report, at_most, compare, us

MAX_NUMBER = 64
MAX_EMAIL = 254
MAX_DESCRIPTION = 1000
MAX_INT = 2**63 - 1
_OPTIONAL = (
    "shipping_company",
    "pickup_date",
    "cancellation_request_image_set",
    "iban",
    "holder_name",
)
_TYPES = {"cancel": CancellationType.CANCEL, "refund": CancellationType.REFUND}


class Invalid(Exception):
    pass


def _number(value: Any) -> str:
    if type(value) is not str:
        raise Invalid("number")
    text = value.strip()
    if not text or len(text) > MAX_NUMBER or not text.isprintable():
        raise Invalid("number")
    return text


def _email(value: Any) -> str:
    if type(value) is not str:
        raise Invalid("email")
    text = value.strip()
    if not text or len(text) > MAX_EMAIL:
        raise Invalid("email")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise Invalid("email") from None


def hand_lookup(data: Any) -> LookupQuery:
    """The lookup baseline: the number's checks and one ``validate_email`` call."""
    if type(data) is not dict:
        raise Invalid("body")
    return LookupQuery(number=_number(data.get("number")), email=_email(data.get("email")))


def _positive(value: Any) -> int:
    if type(value) is not int or value < 1 or value > MAX_INT:
        raise Invalid("int")
    return value


def _item(entry: Any) -> CancelItem:
    if type(entry) is not dict:
        raise Invalid("item")
    kind = _TYPES.get(entry.get("cancellation_type"))  # type: ignore[arg-type]
    if kind is None:
        raise Invalid("cancellation_type")
    description = entry.get("description")
    if description is not None:
        if type(description) is not str:
            raise Invalid("description")
        description = description.strip() or None
        if description is not None and (
            len(description) > MAX_DESCRIPTION or not description.isprintable()
        ):
            raise Invalid("description")
    quantity = entry.get("quantity")
    # The contract's other fields are optional; this payload has none of them, but a
    # validator of the contract still has to look.
    for key in _OPTIONAL:
        if entry.get(key) is not None:
            raise Invalid(key)  # not needed by this benchmark's payloads
    return CancelItem(
        order_item=_positive(entry.get("order_item")),
        reason=_positive(entry.get("reason")),
        cancellation_type=kind,
        description=description,
        quantity=None if quantity is None else _positive(quantity),
    )


def hand_bulk(data: Any) -> CancellationCommand:
    """The bulk baseline: number, email, then each item's five fields, strictly, with the
    duplicate-item check and a bound on the number of items."""
    if type(data) is not dict:
        raise Invalid("body")
    number = _number(data.get("number"))
    email = _email(data.get("email"))
    entries = data.get("cancel_order_items")
    if type(entries) is not list or not entries or len(entries) > BULK_POLICY.max_bulk_items:
        raise Invalid("cancel_order_items")
    items = [_item(entry) for entry in entries]
    if len({item.order_item for item in items}) != len(items):
        raise Invalid("duplicate")
    return CancellationCommand(number=number, email=email, items=items)


SIZES = (1, 10, 100, 1000)


def run(report: Report) -> None:
    section = "2. request parsing"
    print(f"\n{section}", flush=True)
    payload = lookup_payload()
    assert parse_lookup(payload) == hand_lookup(payload)
    timing = compare(
        {
            "library": lambda: parse_lookup(payload),
            "hand-written": lambda: hand_lookup(payload),
            "validate_email only": lambda: validate_email(
                payload["email"], check_deliverability=False
            ),
        },
        rounds=2 * ROUNDS,  # a 10 % target on a ~20 µs call: more rounds against noise
    )
    t = timing.per_call
    ratio = timing.ratio("library", "hand-written")
    report.add(
        section,
        "parse_lookup vs validate_email + hand-written checks",
        f"{ratio:.2f}× ({us(t['library'])} vs {us(t['hand-written'])}; "
        f"validate_email alone {us(t['validate_email only'])})",
        "≤ 1.10×",
        value=ratio,
        check=at_most(1.10),
    )

    order = make_order(items=max(SIZES), cancellable_only=True)
    contenders = {}
    for size in SIZES:
        body = bulk_payload(order, size)
        command = parse_bulk_cancellation(body, policy=BULK_POLICY)
        assert command == hand_bulk(body), "the baseline parses to another command"
        with contextlib.suppress(InvalidRequest):  # a bad item is reported, not ignored
            parse_bulk_cancellation(
                {**body, "cancel_order_items": [*body["cancel_order_items"], {}]},
                policy=BULK_POLICY,
            )
            raise AssertionError("an empty item was accepted")
        contenders[f"library {size}"] = lambda body=body: parse_bulk_cancellation(
            body, policy=BULK_POLICY
        )
        contenders[f"hand-written {size}"] = lambda body=body: hand_bulk(body)
    # All sizes in one interleaved run: the ratios between sizes are taken per round too.
    timing = compare(contenders)
    t = timing.per_call
    for size in SIZES:
        mine, theirs = t[f"library {size}"], t[f"hand-written {size}"]
        ratio = timing.ratio(f"library {size}", f"hand-written {size}")
        report.add(
            section,
            f"parse_bulk_cancellation, {size} item(s), vs hand-written strict validator",
            f"{ratio:.2f}× ({us(mine)} vs {us(theirs)}; {us(mine / size)} per item)",
            "≤ 1.5×",
            value=ratio,
            check=at_most(1.5),
        )
    growth = timing.ratio("library 1000", "library 100")
    baseline_growth = timing.ratio("hand-written 1000", "hand-written 100")
    report.add(
        section,
        "parse_bulk_cancellation: 1000 items vs 100 items",
        f"{growth:.2f}× (hand-written: {baseline_growth:.2f}×)",
        "≤ 11× (flat per-item cost)",
        value=growth,
        check=at_most(11),
    )
