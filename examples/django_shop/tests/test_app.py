"""The app's startup check, its admin, where images are saved, its logs, the relay
command, the one-active rule under ATOMIC_REQUESTS and the guest's language (the last
three through the sync and the async views)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import attrs
import pytest
from django.contrib.auth.models import User
from django.core import checks
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guest_orders import ImageUpload, Order, PaymentType
from guest_orders.contrib.django.checks import mapping_errors
from guest_orders.contrib.django.fields import field_of
from guest_orders.contrib.django.mapping import ModelMap
from guest_orders.contrib.django.models import CancellationRequestRecord, UploadedImage
from guest_orders.contrib.django.store import DjangoStore
from guest_orders.contrib.django.testing import (
    NOT_TRANSACTIONAL,
    DjangoStoreContract,
    temporary_media,
)
from guest_orders.testing import example_seed
from shop.guest_orders import MAPPING
from shop.models import Purchase

SEED = example_seed()
CARD = SEED.orders[0]
CANCEL = "/users/orders/anonymous/cancellation_requests/"


def _cancel(order: Order = CARD, item: int = 1001) -> dict[str, Any]:
    """The body of a guest's request to cancel ``item`` of ``order``."""
    return {
        "number": order.number,
        "email": order.user_email,
        "order_item": item,
        "reason": 1,
        "cancellation_type": "cancel",
    }


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


def _with_order(**changes: Any) -> Any:
    """The example mapping with its order model's map changed."""
    return attrs.evolve(MAPPING, order=attrs.evolve(MAPPING.order, **changes))


def test_the_check_wants_a_stored_value_for_every_member_of_a_values_map() -> None:
    """A member left out of ``values`` could not be written (DjangoStore.load, the
    contract suite)."""
    payments = dict(MAPPING.order.values["payment_type"])
    del payments[PaymentType.OTHER]
    broken = _with_order(values={**MAPPING.order.values, "payment_type": payments})
    (error,) = mapping_errors(broken)
    assert error.id == "guest_orders.E006"
    assert "order field 'payment_type'" in error.msg
    assert "PaymentType.OTHER" in error.msg
    assert "writing it would fail" in error.msg


def test_the_check_wants_money_in_a_decimal_field() -> None:
    broken = _with_order(fields={**MAPPING.order.fields, "discount_amount": "email"})
    (error,) = mapping_errors(broken)
    assert error.id == "guest_orders.E007"
    assert error.msg.startswith("The order field 'discount_amount' (path 'email') is a CharField")
    assert "DecimalField" in error.msg


def test_the_check_wants_every_value_a_field_declares_to_read_back() -> None:
    """``buyer__is_guest`` holds booleans: without the values map, neither is a kind."""
    values = {k: v for k, v in MAPPING.order.values.items() if k != "customer.kind"}
    messages = [(error.id, error.msg) for error in mapping_errors(_with_order(values=values))]
    assert [code for code, _msg in messages] == ["guest_orders.E008"] * 2
    assert "may hold True, which is no CustomerKind" in messages[0][1]
    assert "may hold False" in messages[1][1]


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
    created = guest.post(CANCEL, body)
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


def _staff() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("staff", "staff@example.com", "pw"))
    return client


@pytest.mark.django_db(transaction=True)
def test_the_admin_finds_requests_by_the_order_number_staff_are_given() -> None:
    store = _load()
    for order, item in ((CARD, 1001), (SEED.orders[1], 1011)):
        created = Client().post(CANCEL, _cancel(order, item))
        assert created.status_code == 201, created.content
    with store.transaction() as repos:
        order = repos.orders.find_by_number(SEED.orders[1].number)
    assert order is not None
    assert order.number == "ORD-2024-001234"  # not a pk: only the mapping finds it
    staff = _staff()
    listing = "/admin/guest_orders/cancellationrequestrecord/"
    for term, items in (
        (SEED.orders[1].number, [1011]),
        (f"  {CARD.number} ", [1001]),
        (str(order.pk), [1011]),  # the order's pk still finds it
        ("ORD-2024", []),  # the number exactly, as the guest's lookup
    ):
        found = staff.get(listing, {"q": term})
        assert found.status_code == 200
        assert [r.order_item_id for r in found.context["cl"].result_list] == items, term


@pytest.mark.django_db
def test_images_are_saved_where_the_models_upload_to_says(settings: Any, tmp_path: Path) -> None:
    """One definition of where images go: the ``upload_to`` of ``UploadedImage.file``,
    in the default storage, under ``MEDIA_URL``."""
    settings.MEDIA_ROOT = str(tmp_path)
    upload_to = field_of(UploadedImage, "file").upload_to
    before = datetime.now().strftime(upload_to)  # noqa: DTZ005  # as Django names files
    with DjangoStore(MAPPING).transaction() as repos:
        ref = repos.images.put(ImageUpload(content=b"\x89PNG\r\n", media_type="image/png"))
    after = datetime.now().strftime(upload_to)  # noqa: DTZ005
    row = UploadedImage.objects.get()
    name = PurePosixPath(row.file.name)
    assert f"{name.parent}/" in {before, after}
    assert name.stem.isalnum()
    assert name.suffix == ".png"
    assert ref.image == row.url == settings.MEDIA_URL + row.file.name
    assert (tmp_path / row.file.name).read_bytes() == b"\x89PNG\r\n"


@pytest.mark.django_db
def test_temporary_media_keeps_files_out_of_the_media_storage(
    settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    with temporary_media() as location:
        with DjangoStore(MAPPING).transaction() as repos:
            ref = repos.images.put(ImageUpload(content=b"\xff\xd8\xff", media_type="image/jpeg"))
        saved = UploadedImage.objects.get().file.name
        assert (Path(location) / saved).read_bytes() == b"\xff\xd8\xff"
        assert ref.image == settings.MEDIA_URL + saved
    assert not Path(location).exists()
    assert list(tmp_path.iterdir()) == []
    with DjangoStore(MAPPING).transaction() as repos:  # the media storage again
        repos.images.put(ImageUpload(content=b"GIF89a", media_type="image/gif"))
    assert [path.suffix for path in tmp_path.rglob("*.*")] == [".gif"]


@pytest.mark.django_db(transaction=True)
def test_an_unexpected_error_is_logged_with_its_traceback(
    make_client: Callable[[], Client],
) -> None:
    """The example's LOGGING gives the library's logger a handler: a view's unexpected
    error reaches it with its traceback, the client gets a bare JSON 500."""
    _load()
    Purchase.objects.filter(reference=CARD.number).update(payment_method="bitcoin")
    handlers = logging.getLogger("guest_orders").handlers
    (handler,) = [h for h in handlers if isinstance(h, logging.StreamHandler)]
    log = io.StringIO()
    previous = handler.setStream(log)
    try:
        response = make_client().post(
            "/users/orders/anonymous/",
            json.dumps({"number": CARD.number, "email": CARD.user_email}),
            content_type="application/json",
        )
    finally:
        handler.setStream(previous)
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert "bitcoin" not in response.content.decode()
    assert "guest_orders view failed" in log.getvalue()
    assert "Traceback (most recent call last)" in log.getvalue()
    assert "LookupError" in log.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_relay_command_delivers_each_event_once() -> None:
    _load()
    created = Client().post(CANCEL, _cancel())
    assert created.status_code == 201, created.content
    first, again = io.StringIO(), io.StringIO()
    call_command("relay_events", "--once", stdout=first)
    call_command("relay_events", "--once", stdout=again)
    (line,) = first.getvalue().splitlines()
    event = json.loads(line)
    assert event["type"] == "cancellation.requested"
    assert event["data"]["order_number"] == CARD.number
    assert event["data"]["request_id"] == created.json()["id"]
    assert again.getvalue() == ""


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
        body = _cancel()
        client = make_client()
        first = client.post(CANCEL, json.dumps(body), content_type="application/json")
        assert first.status_code == 201, first.content
        second = client.post(CANCEL, json.dumps(body), content_type="application/json")
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
