"""The use case reports broken rules as domain values; the wire layer spells them out."""

from __future__ import annotations

import re
import string

import pytest

from _builders import (
    APPROVED_ITEM,
    GUEST_ADDRESS,
    NOT_AN_ITEM,
    PREPARING_ITEM,
    UNKNOWN_REASON,
    WAITING_ITEM,
    World,
    bulk,
    cancel_item,
    new_store,
    refund_item,
    single,
    stored_request,
)
from guest_orders.domain import CancellationCommand
from guest_orders.errors import ErrorDetail, RulesViolated, Violation
from guest_orders.messages import MESSAGES, message
from guest_orders.use_cases import request_cancellation
from guest_orders.wire import render_error
from guest_orders.wire.errors import violation_tree

ACTIVE_EXISTS = "cancellation_request_100_1"


def violations(world: World, command: CancellationCommand) -> RulesViolated:
    with pytest.raises(RulesViolated) as caught:
        world.cancel(command)
    return caught.value


def test_violations_name_the_item_index_and_the_domain_field() -> None:
    command = bulk(
        cancel_item(APPROVED_ITEM),
        refund_item(PREPARING_ITEM, quantity=9),
        cancel_item(NOT_AN_ITEM, reason=UNKNOWN_REASON),
        pickup_address=GUEST_ADDRESS,
        fully_refund_as_loyalty_money=True,
    )
    world = World(store=new_store(cancellation_requests=[stored_request(APPROVED_ITEM)]))
    error = violations(world, command)
    assert error.violations == (
        Violation("loyalty_money_disabled", "fully_refund_as_loyalty_money"),
        Violation(ACTIVE_EXISTS, None, 0),
        Violation("quantity_exceeds_item", "quantity", 1),
        Violation("order_item_not_in_order", "order_item", 2),
    )
    assert error.code == "loyalty_money_disabled"


def test_the_wire_tree_of_a_single_request_has_the_item_at_the_top() -> None:
    error = violations(World(), single(cancel_item(reason=UNKNOWN_REASON, quantity=9)))
    assert error.violations == (
        Violation("invalid_reason", "reason", 0),
        Violation("quantity_exceeds_item", "quantity", 0),
    )
    assert error.errors == violation_tree(error.violations, bulk=False)
    assert render_error(error)["codes"] == {
        "reason": ["invalid_reason"],
        "quantity": ["quantity_exceeds_item"],
    }


def test_the_wire_tree_of_a_bulk_request_lists_every_item() -> None:
    tree = violation_tree(
        [Violation("invalid_reason", "reason", 2), Violation("invalid_image", "images", 2)],
        bulk=True,
        item_count=4,
    )
    assert tree == {
        "cancel_order_items": [
            {},
            {},
            {
                "reason": [ErrorDetail.of("invalid_reason")],
                "cancellation_request_image_set": [ErrorDetail.of("invalid_image")],
            },
            {},
        ]
    }


def test_request_violations_come_before_the_items_and_group_by_field() -> None:
    tree = violation_tree(
        [
            Violation(ACTIVE_EXISTS, None, 0),
            Violation("invalid_idempotency_key"),
            Violation("invalid_pickup_address", "pickup_address"),
        ],
        bulk=False,
    )
    assert list(tree) == ["non_field_errors", "pickup_address"]
    assert [d.code for d in tree["non_field_errors"]] == [  # type: ignore[union-attr]
        "invalid_idempotency_key",
        ACTIVE_EXISTS,
    ]


def test_a_bad_idempotency_key_is_a_request_violation_with_the_limit_in_its_message() -> None:
    world = World()
    with pytest.raises(RulesViolated) as caught:
        request_cancellation(
            bulk(cancel_item(WAITING_ITEM)),
            uow=world.store,
            clock=world.clock,
            policy=world.policy,
            idempotency_key="not a key",
        )
    assert caught.value.violations == (Violation("invalid_idempotency_key"),)
    assert render_error(caught.value) == {
        "non_field_errors": ["The idempotency key must be 1 to 255 visible ASCII characters."],
        "code": "invalid_idempotency_key",
        "codes": {"non_field_errors": ["invalid_idempotency_key"]},
    }


_FIELD = re.compile(r"\{(\w*)")


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
def test_every_message_formats_with_its_named_placeholders(message_id: str) -> None:
    names = set(_FIELD.findall(MESSAGES[message_id]))
    assert "" not in names, "placeholders are named"
    text = message(message_id, **dict.fromkeys(names, "X"))
    assert not set(text) & set("{}"), text
    assert text[0] in string.ascii_uppercase


def test_an_unknown_message_id_is_refused() -> None:
    with pytest.raises(KeyError):
        message("no_such_message")
