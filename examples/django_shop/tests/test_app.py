"""The app's startup check, its admin, the one-active rule under ATOMIC_REQUESTS and the
guest's language (the last two through the sync and the async views)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import checks
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guest_orders.contrib.django.checks import mapping_errors
from guest_orders.contrib.django.mapping import ModelMap
from guest_orders.contrib.django.models import CancellationRequestRecord
from guest_orders.contrib.django.store import DjangoStore
from guest_orders.contrib.django.testing import NOT_TRANSACTIONAL, DjangoStoreContract
from guest_orders.testing import example_seed
from shop.guest_orders import MAPPING

SEED = example_seed()
CARD = SEED.orders[0]


def test_the_example_mapping_passes_the_check() -> None:
    assert mapping_errors(MAPPING) == []
    assert checks.run_checks(tags=["guest_orders"]) == []


def test_the_check_names_each_field_it_cannot_resolve() -> None:
    broken = MAPPING.__class__(
        order=ModelMap(
            "shop.Purchase",
            fields={**MAPPING.order.fields, "number": "ref", "customer.kind": "buyer__kind"},
            values=MAPPING.order.values,
            only_named=True,
        ),
        item=MAPPING.item,
        reason=ModelMap("shop.ReturnReason", fields={"subject": None, "colour": "x"}),
        carrier=MAPPING.carrier,
        address=ModelMap("shop.Nowhere"),
    )
    messages = [(error.id, error.msg) for error in mapping_errors(broken)]
    assert ("guest_orders.E002", "The mapping names no domain field reason: 'colour'") in messages
    assert (
        "guest_orders.E003",
        "The mapping cannot leave out reason: 'subject': it is required",
    ) in messages
    assert ("guest_orders.E004", "The mapping's address model 'shop.Nowhere' is not installed") in (
        messages
    )
    e001 = [msg for code, msg in messages if code == "guest_orders.E001"]
    assert any(
        "order field 'number' (path 'ref')" in msg and "no field 'ref'" in msg for msg in e001
    )
    assert any("'customer.kind' (path 'buyer__kind')" in msg for msg in e001)


def _load(using: str = "default") -> DjangoStore:
    store = DjangoStore(MAPPING, using=using)
    store.load(
        orders=SEED.orders,
        reasons=SEED.reasons,
        shipping_companies=SEED.shipping_companies,
        addresses=SEED.addresses,
    )
    return store


@pytest.mark.django_db(transaction=True)
def test_the_admin_lists_requests_and_masks_personal_data() -> None:
    _load()
    cash = SEED.orders[1]
    body = {
        "number": cash.number,
        "email": cash.user_email,
        "order_item": 1012,
        "reason": 3,
        "cancellation_type": "refund",
        "shipping_company": 11,
        "iban": "TR960006100000000000000001",
        "holder_name": "Ayşe Yılmaz",
    }
    guest = Client()
    created = guest.post("/users/orders/anonymous/cancellation_requests/", body)
    assert created.status_code == 201, created.content
    staff = User.objects.create_superuser("staff", "staff@example.com", "pw")
    client = Client()
    client.force_login(staff)
    listing = client.get("/admin/guest_orders/cancellationrequestrecord/?status__exact=waiting")
    assert listing.status_code == 200
    request = CancellationRequestRecord.objects.get()
    page = client.get(f"/admin/guest_orders/cancellationrequestrecord/{request.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "**********************0001" in html
    assert "A*** Y***" in html
    assert "TR960006100000000000000001" not in html
    assert "Yılmaz" not in html
    assert client.get("/admin/guest_orders/cancellationrequestrecord/add/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_conflict_under_atomic_requests_is_the_librarys_error(
    settings: Any, make_client: Callable[[], Client]
) -> None:
    """With ATOMIC_REQUESTS the sync views' store transactions are savepoints: a second
    request for the same item is refused with the library's code, and the request's
    transaction stays usable. The async views, which Django cannot run in a request
    transaction, are exempt from it: each store transaction commits on its own."""
    _load()
    settings.DATABASES["default"]["ATOMIC_REQUESTS"] = True
    connections["default"].settings_dict["ATOMIC_REQUESTS"] = True
    try:
        body = {
            "number": CARD.number,
            "email": CARD.user_email,
            "order_item": 1001,
            "reason": 1,
            "cancellation_type": "cancel",
        }
        client = make_client()
        path = "/users/orders/anonymous/cancellation_requests/"
        first = client.post(path, json.dumps(body), content_type="application/json")
        assert first.status_code == 201, first.content
        second = client.post(path, json.dumps(body), content_type="application/json")
        assert second.status_code == 400
        assert second.json()["code"] == "cancellation_request_100_1"
    finally:
        connections["default"].settings_dict["ATOMIC_REQUESTS"] = False
    assert CancellationRequestRecord.objects.count() == 1


@pytest.mark.django_db
def test_inside_a_test_transaction_the_suite_fails_at_once() -> None:
    """pytest-django's default, non-transactional database: the race would wait forever
    on rows other threads cannot see; the suite fails at once, naming the fix."""

    class Contract(DjangoStoreContract):
        mapping = MAPPING

    with pytest.raises(pytest.fail.Exception) as failed:
        Contract().test_use_case_one_guest_wins_a_race()
    assert str(failed.value) == NOT_TRANSACTIONAL


@pytest.mark.django_db(transaction=True)
def test_a_turkish_guest_gets_turkish_messages_with_the_same_codes(
    make_client: Callable[[], Client],
) -> None:
    _load()
    miss = {"number": CARD.number, "email": "eve@example.com"}
    invalid = {"number": CARD.number, "email": CARD.user_email, "order_item": "x", "quantity": 0}
    bulk = {"number": CARD.number, "email": CARD.user_email, "cancel_order_items": []}
    anonymous = "/users/orders/anonymous/"
    for path, body in [
        (anonymous, miss),
        (anonymous + "cancellation_requests/", invalid),
        (anonymous + "bulk_cancellation_requests/", bulk),
    ]:
        answers = {
            language: make_client().post(
                path,
                json.dumps(body),
                content_type="application/json",
                headers={"Accept-Language": language},
            )
            for language in ("en-US,en;q=0.9", "tr-TR,tr;q=0.9")
        }
        english, turkish = answers.values()
        assert turkish.status_code == english.status_code >= 400
        assert turkish["Content-Language"] == "tr"
        assert english["Content-Language"] == "en"
        assert turkish.json()["code"] == english.json()["code"]
        assert turkish.json()["codes"] == english.json()["codes"]
        assert turkish.json() != english.json()  # the same codes, other words
    # The shop's reasons carry no translations: every subject as written, in any language.
    reasons = {
        language: make_client().get(
            "/users/orders/cancellation_reasons/", headers={"Accept-Language": language}
        )
        for language in ("en", "tr")
    }
    assert reasons["tr"]["Content-Language"] == "tr"
    assert reasons["tr"].json() == reasons["en"].json()


@pytest.mark.django_db(transaction=True)
def test_a_miss_sends_the_queries_of_a_hit() -> None:
    """An unknown number and a known one send the same queries (the order's row, its
    items' rows by number): a miss does not answer sooner (docs/security.md)."""
    store = _load()
    sent: dict[str, list[str]] = {}
    for number in (CARD.number, "9999999999"):
        with CaptureQueriesContext(connections["default"]) as queries, store.transaction() as repos:
            repos.orders.find_by_number(number)
        sent[number] = [query["sql"].replace(number, "?") for query in queries.captured_queries]
    assert sent[CARD.number] == sent["9999999999"]
    assert sum("SELECT" in sql for sql in sent[CARD.number]) == 2
