"""Hypothesis strategies for the domain, for seeds of a whole store, and for request payloads.

Every strategy yields valid domain values (their invariants hold). Parameters left as
``None`` are drawn; give a value to pin it. Installing ``guest_orders[testing]`` also
registers a strategy for each domain type, so ``st.from_type(Order)`` works.

Values are chosen so a faithful store can keep them:

- money is ``Decimal``: :func:`money` has exactly two places, :func:`precise_money` from
  zero to six (``Decimal("1234567.1234")``, ``Decimal("5")``); a store must keep both the
  value and the scale;
- datetimes are timezone-aware with microseconds and UTC offsets from -12:00 to +14:00;
- text is any Unicode a database can store: no surrogates and no control characters but
  newline and tab (so no NUL);
- ``extra_field`` is JSON: objects, arrays, strings, booleans, ``null`` and integers within
  ±2**53, but no floats.

Payload strategies build JSON-ready bodies for the three endpoints against one order and
the shop's reasons and carriers: :func:`lookup_payloads`, :func:`cancellation_payloads` and
:func:`bulk_cancellation_payloads` yield bodies the endpoint accepts (on a store where the
order has no active request yet); their ``invalid_*`` twins yield
``(payload, expected_code)`` pairs, each breaking exactly one rule, with the codes of the
wire contract (``required``, ``invalid_email``, ``invalid_type``, ``min_value``) and of
the use cases (``order_item_not_in_order``, ``quantity_exceeds_item``, ...).

Strategies that need a whole store's data take a :class:`~guest_orders.testing.Seed`
(:func:`seeds`, :func:`cancellation_requests`, :func:`lookup_queries`,
:func:`cancellation_commands`).
"""

from __future__ import annotations

import functools
import string
import unicodedata
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar, cast

import attrs
from hypothesis import strategies as st

from guest_orders.domain import (
    Address,
    Bank,
    CancelItem,
    CancellationCommand,
    CancellationReason,
    CancellationRequest,
    CancellationRequestStatus,
    CancellationType,
    Currency,
    Customer,
    CustomerKind,
    EasyReturn,
    EasyReturnShippingCompany,
    Iban,
    IdempotencyRecord,
    ImageRef,
    ImageUpload,
    LookupQuery,
    Order,
    OrderItem,
    OrderStatus,
    OrderType,
    PaymentType,
    PickupDate,
    Product,
    ShippingCompany,
)
from guest_orders.domain.emails import EmailNotValidError, normalize_email
from guest_orders.policy import EmailMatch, Policy
from guest_orders.testing._seed import Seed
from guest_orders.wire import spec as wire_spec

__all__ = [
    "DEFAULT_NOW",
    "addresses",
    "aware_datetimes",
    "banks",
    "bulk_cancellation_payloads",
    "cancel_items",
    "cancellation_commands",
    "cancellation_payloads",
    "cancellation_reasons",
    "cancellation_requests",
    "currencies",
    "customers",
    "easy_return_codes",
    "easy_return_shipping_companies",
    "emails",
    "ibans",
    "idempotency_keys",
    "idempotency_records",
    "image_refs",
    "image_uploads",
    "invalid_bulk_cancellation_payloads",
    "invalid_cancellation_payloads",
    "invalid_lookup_payloads",
    "json_objects",
    "lookup_payloads",
    "lookup_queries",
    "money",
    "order_items",
    "order_numbers",
    "orders",
    "pickup_dates",
    "policies",
    "precise_money",
    "products",
    "seeds",
    "shipping_companies",
    "storable_text",
    "utc_offsets",
]

#: The time the contract suite's clocks stand at, and the default ``now`` of strategies
#: that need one to decide what a guest may do.
DEFAULT_NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

_PK_MAX = 2**31 - 1
_JSON_INT = 2**53
_MIN_DATETIME = datetime(2000, 1, 1)  # noqa: DTZ001  # st.datetimes wants naive bounds
_MAX_DATETIME = datetime(2099, 12, 31, 23, 59, 59)  # noqa: DTZ001

_ORDER_STATUSES = st.sampled_from(OrderStatus)
_ORDER_TYPES = st.sampled_from(OrderType)
_PAYMENT_TYPES = st.sampled_from(PaymentType)
_CANCELLATION_TYPES = st.sampled_from(CancellationType)
_REQUEST_STATUSES = st.sampled_from(CancellationRequestStatus)

Payload = dict[str, Any]
InvalidPayload = tuple[dict[str, Any], str]
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R", CancellationReason, EasyReturnShippingCompany, Address)


def _cached(function: F) -> F:
    """Build each strategy once per arguments: fresh strategy objects on every draw make
    Hypothesis validate them again and again."""
    return cast("F", functools.lru_cache(maxsize=512)(function))


def _pinned(value: T | None, strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    return strategy if value is None else st.just(value)


@_cached
def _optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


@_cached
def _pks() -> st.SearchStrategy[int]:
    return st.integers(1, _PK_MAX)


@_cached
def _indices(count: int) -> st.SearchStrategy[int]:
    return st.integers(0, count - 1)


def _pick(draw: st.DrawFn, values: Sequence[T]) -> T:
    """One of ``values``: like ``st.sampled_from``, without building a strategy per draw."""
    if not values:
        raise ValueError("nothing to pick from")
    return values[draw(_indices(len(values)))]


# ---------------------------------------------------------------------------- scalars


@_cached
def utc_offsets() -> st.SearchStrategy[timezone]:
    """Fixed UTC offsets: common ones (UTC, +03:00, +05:45, -09:30, ...) and any whole minute
    from -12:00 to +14:00."""
    common = [0, 3 * 60, -5 * 60, 5 * 60 + 30, 5 * 60 + 45, -(9 * 60 + 30), 14 * 60, -12 * 60]
    minutes = st.sampled_from(common) | st.integers(-12 * 60, 14 * 60)
    return minutes.map(lambda m: UTC if m == 0 else timezone(timedelta(minutes=m)))


@_cached
def aware_datetimes(
    *, min_value: datetime = _MIN_DATETIME, max_value: datetime = _MAX_DATETIME
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes with microseconds, in many UTC offsets (naive bounds)."""
    return st.datetimes(min_value, max_value, timezones=utc_offsets())


@_cached
def money(*, max_value: Decimal = Decimal("9999999.99")) -> st.SearchStrategy[Decimal]:
    """Non-negative amounts with exactly two places: ``Decimal("0.00")``, ``Decimal("1.10")``."""
    return st.decimals(min_value=0, max_value=max_value, places=2)


@_cached
def precise_money(*, max_places: int = 6) -> st.SearchStrategy[Decimal]:
    """Non-negative amounts with zero to ``max_places`` places, for fidelity tests:
    ``Decimal("5")``, ``Decimal("1.10")``, ``Decimal("1234567.1234")``."""
    samples = st.sampled_from(
        [Decimal("1234567.1234"), Decimal("1.10"), Decimal("0.000001"), Decimal(5)]
    )
    drawn = st.integers(0, max_places).flatmap(
        lambda places: st.decimals(min_value=0, max_value=Decimal(99999999), places=places)
    )
    return samples | drawn


_TEXT_ALPHABET = st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n\t")
_PLAIN_ALPHABET = string.ascii_letters + string.digits + " .,'-çğıöşüÇĞİÖŞÜ"


@_cached
def storable_text(*, min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Any text a database can store: no surrogates, no control characters but ``\\n``/``\\t``."""
    return st.text(_TEXT_ALPHABET, min_size=min_size, max_size=max_size)


@_cached
def _plain_text(*, max_size: int = 40) -> st.SearchStrategy[str]:
    """Non-blank text without surrounding spaces, safe for every request field."""
    return st.text(_PLAIN_ALPHABET, min_size=1, max_size=max_size).filter(
        lambda s: s.strip() == s and bool(s)
    )


def _label(alphabet: str, max_size: int) -> st.SearchStrategy[str]:
    """Letters and digits, with hyphens inside but never at either end."""
    edge = st.sampled_from(alphabet)
    inner = st.text(alphabet + "-", max_size=max_size)
    return edge | st.builds(lambda a, b, c: a + b + c, edge, inner, edge)


@_cached
def emails() -> st.SearchStrategy[str]:
    """Valid ASCII addresses, some with upper-case letters (``Ayse.Y+shop@Example.com``)."""
    local_chars = string.ascii_letters + string.digits
    local = st.lists(_label(local_chars, 8), min_size=1, max_size=3).map(".".join)
    tagged = st.tuples(local, st.none() | _label(local_chars, 6)).map(
        lambda p: p[0] if p[1] is None else f"{p[0]}+{p[1]}"
    )
    domain_chars = string.ascii_lowercase + string.digits
    labels = st.lists(_label(domain_chars, 10), min_size=1, max_size=2)
    tld = st.sampled_from(["com", "net", "org", "io", "shop", "com.tr", "co.uk"])
    domain = st.tuples(labels, tld).map(lambda p: ".".join([*p[0], p[1]]))
    domain = domain | domain.map(str.upper) | domain.map(str.title)
    return st.tuples(tagged, domain).map(lambda p: f"{p[0]}@{p[1]}")


@_cached
def order_numbers() -> st.SearchStrategy[str]:
    """Opaque order numbers: 16-digit strings, ``ORD-2024-001234``, or any storable text."""
    return st.one_of(
        st.integers(10**15, 10**16 - 1).map(str),
        st.from_regex(r"ORD-20[0-9]{2}-[0-9]{6}", fullmatch=True),
        storable_text(min_size=1, max_size=30),
    )


def _iban(bank: int, account: int) -> Iban:
    bban = f"{bank:05d}0{account:016d}"
    digits = "".join(str(int(c, 36)) for c in bban + "TR00")
    return Iban(f"TR{98 - int(digits) % 97:02d}{bban}")


@_cached
def ibans() -> st.SearchStrategy[Iban]:
    """Valid Turkish IBANs (26 characters, ISO 13616 check digits)."""
    return st.builds(_iban, st.integers(0, 99999), st.integers(0, 10**16 - 1))


@_cached
def json_objects(*, max_leaves: int = 8) -> st.SearchStrategy[dict[str, Any]]:
    """JSON objects as ``extra_field`` holds them: no floats, integers within ±2**53."""
    scalars: st.SearchStrategy[Any] = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-_JSON_INT, _JSON_INT),
        storable_text(max_size=20),
    )
    values = st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(storable_text(max_size=10), inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )
    return st.dictionaries(storable_text(max_size=12), values, max_size=4)


@_cached
def easy_return_codes() -> st.SearchStrategy[str]:
    """Return codes as the use case makes them: ten letters and digits without look-alikes."""
    return st.text("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=10, max_size=10)


# ----------------------------------------------------------------------- domain values


@_cached
def currencies() -> st.SearchStrategy[Currency]:
    return st.builds(Currency, code=st.sampled_from(["TRY", "USD", "EUR", "GBP", "AZN"]))


@_cached
def shipping_companies() -> st.SearchStrategy[ShippingCompany]:
    return st.builds(
        ShippingCompany,
        value=st.sampled_from(["yurtici", "aras", "mng", "ptt", "ups"]) | storable_text(min_size=1),
        label=storable_text(),
    )


@_cached
def banks() -> st.SearchStrategy[Bank]:
    return st.builds(
        Bank,
        pk=_pks(),
        name=storable_text(),
        slug=storable_text(),
        logo=_optional(storable_text(max_size=80)),
    )


@_cached
def customers(*, kind: CustomerKind | None = None) -> st.SearchStrategy[Customer]:
    """Guests and registered customers (or only ``kind``)."""
    return st.builds(Customer, id=_pks(), kind=_pinned(kind, st.sampled_from(CustomerKind)))


@_cached
def products(*, pk: int | None = None) -> st.SearchStrategy[Product]:
    return st.builds(
        Product,
        pk=_pinned(pk, _pks()),
        name=storable_text(),
        sku=storable_text(max_size=20),
        image=_optional(storable_text(max_size=80)),
    )


@_cached
def order_items(
    *,
    pk: int | None = None,
    status: OrderStatus | None = None,
    amounts: st.SearchStrategy[Decimal] | None = None,
) -> st.SearchStrategy[OrderItem]:
    """Items in every status, merged ones (``quantity`` > 1) included."""
    return st.builds(
        OrderItem,
        pk=_pinned(pk, _pks()),
        status=_pinned(status, _ORDER_STATUSES),
        quantity=st.integers(1, 5),
        price=amounts if amounts is not None else money(),
        product=products(),
        delivered_date=_optional(aware_datetimes()),
    )


@_cached
@st.composite
def orders(  # each parameter pins one aspect of the order
    draw: st.DrawFn,
    *,
    pk: int | None = None,
    number: str | None = None,
    customer_kind: CustomerKind | None = None,
    payment_type: PaymentType | None = None,
    amounts: st.SearchStrategy[Decimal] | None = None,
    min_items: int = 1,
    max_items: int = 4,
) -> Order:
    """Orders of guests and registered customers, paid by card, cash or otherwise, with
    every optional field either ``None`` or set. ``amounts`` draws every money field
    (default :func:`money`; pass ``money() | precise_money()`` for fidelity tests)."""
    amounts = amounts if amounts is not None else money()
    payment = draw(_pinned(payment_type, _PAYMENT_TYPES))
    card = payment is PaymentType.CREDIT_CARD
    created = draw(aware_datetimes())
    modified = created + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=90)))
    items = draw(
        st.lists(
            order_items(amounts=amounts), min_size=min_items, max_size=max_items, unique_by=_pk
        )
    )
    return Order(
        pk=draw(_pinned(pk, _pks())),
        number=draw(_pinned(number, order_numbers())),
        customer=draw(customers(kind=customer_kind)),
        user_email=draw(emails()),
        status=draw(_ORDER_STATUSES),
        currency=draw(currencies()),
        payment_type=payment,
        amount=draw(amounts),
        discount_amount=draw(amounts),
        shipping_amount=draw(amounts),
        shipping_tax_rate=draw(_optional(amounts)),
        refund_amount=draw(amounts),
        discount_refund_amount=draw(amounts),
        shipping_refund_amount=draw(amounts),
        installment_count=draw(st.integers(1, 12)) if card else 1,
        installment_interest_amount=draw(amounts) if card else Decimal("0.00"),
        order_type=draw(_optional(_ORDER_TYPES)),
        tracking_url=draw(_optional(storable_text(max_size=80))),
        tracking_number=draw(_optional(storable_text(max_size=30))),
        invoice_number=draw(_optional(storable_text(max_size=30))),
        invoice_date=draw(_optional(aware_datetimes())),
        e_archive_url=draw(_optional(storable_text(max_size=80))),
        has_gift_box=draw(_optional(st.booleans())),
        gift_box_note=draw(_optional(storable_text(max_size=200))),
        notes=draw(_optional(storable_text(max_size=200))),
        bin_number=draw(_optional(st.from_regex(r"[0-9]{6,8}", fullmatch=True))) if card else None,
        shipping_company=draw(_optional(shipping_companies())),
        bank=draw(_optional(banks())) if card else None,
        extra_field=draw(_optional(json_objects())),
        created_date=created,
        modified_date=modified,
        items=items,
    )


def _pk(value: OrderItem | CancellationReason | EasyReturnShippingCompany | Address) -> int:
    return value.pk


@_cached
def cancellation_reasons(
    *,
    pk: int | None = None,
    cancellation_type: CancellationType | None = None,
    is_active: bool | None = None,
) -> st.SearchStrategy[CancellationReason]:
    """Reasons for cancellations and for refunds, active or not, some needing a description."""
    return st.builds(
        CancellationReason,
        pk=_pinned(pk, _pks()),
        subject=storable_text(max_size=100),
        cancellation_type=_pinned(cancellation_type, st.sampled_from(CancellationType)),
        is_active=_pinned(is_active, st.booleans()),
        extra_information_needed=st.booleans(),
        order=st.integers(0, 5),
        translations=_optional(
            st.dictionaries(st.sampled_from(["tr", "en", "de", "ar"]), storable_text(), max_size=3)
        ),
        uuid=st.uuids(),
        created_date=_optional(aware_datetimes()),
        modified_date=_optional(aware_datetimes()),
    )


@_cached
def easy_return_shipping_companies(
    *, pk: int | None = None, is_active: bool | None = None
) -> st.SearchStrategy[EasyReturnShippingCompany]:
    return st.builds(
        EasyReturnShippingCompany,
        pk=_pinned(pk, _pks()),
        shipping_company=shipping_companies(),
        is_active=_pinned(is_active, st.booleans()),
    )


@_cached
def addresses(
    *, pk: int | None = None, customer_id: int | None = None
) -> st.SearchStrategy[Address]:
    return st.builds(Address, pk=_pinned(pk, _pks()), customer_id=_pinned(customer_id, _pks()))


@_cached
@st.composite
def pickup_dates(
    draw: st.DrawFn, *, min_date: date = date(2000, 1, 1), max_date: date = date(2099, 12, 31)
) -> PickupDate:
    """A pickup day and an hour range that starts before it ends."""
    start_hour = draw(st.integers(0, 22))
    end_hour = draw(st.integers(start_hour + 1, 23))
    minute = 30 * draw(_indices(2))
    return PickupDate(
        date=draw(st.dates(min_date, max_date)),
        start=time(start_hour, minute),
        end=time(end_hour, minute),
    )


@_cached
def image_refs() -> st.SearchStrategy[ImageRef]:
    return st.builds(
        ImageRef,
        image=storable_text(min_size=1, max_size=80),
        description=_optional(storable_text()),
    )


@_cached
def image_uploads() -> st.SearchStrategy[ImageUpload]:
    """Small PNG or JPEG uploads (the magic bytes, then anything)."""
    media = st.sampled_from([("image/png", b"\x89PNG\r\n\x1a\n"), ("image/jpeg", b"\xff\xd8\xff")])
    return st.builds(
        lambda kind, body, description: ImageUpload(
            content=kind[1] + body, media_type=kind[0], description=description
        ),
        media,
        st.binary(max_size=32),
        _optional(_plain_text()),
    )


@_cached
def policies() -> st.SearchStrategy[Policy]:
    """Shop rules: the defaults, with or without loyalty money, a return window and
    case-insensitive emails."""
    return st.builds(
        Policy,
        return_window=_optional(st.sampled_from([timedelta(days=14), timedelta(days=30)])),
        email_match=st.sampled_from(EmailMatch),
        loyalty_money_enabled=st.booleans(),
    )


# ------------------------------------------------------------------------------ seeds


def _with_pks(values: Sequence[R], pks: Sequence[int]) -> tuple[R, ...]:
    return tuple(attrs.evolve(value, pk=pk) for value, pk in zip(values, pks, strict=True))


def _normalized(orders: tuple[Order, ...]) -> tuple[Order, ...]:
    """Orders a normalized schema can hold: one kind per customer id (a customer met
    again with the other kind gets an unused id) and one product per product pk (the
    first drawn)."""
    kinds: dict[int, CustomerKind] = {}
    used = {order.customer.id for order in orders}
    products: dict[int, Product] = {}
    fixed = []
    for order in orders:
        customer = order.customer
        if kinds.setdefault(customer.id, customer.kind) is not customer.kind:
            fresh = next(pk for pk in range(1, _PK_MAX) if pk not in used)
            used.add(fresh)
            kinds[fresh] = customer.kind
            customer = attrs.evolve(customer, id=fresh)
        items = [
            attrs.evolve(item, product=products.setdefault(item.product.pk, item.product))
            for item in order.items
        ]
        fixed.append(attrs.evolve(order, customer=customer, items=items))
    return tuple(fixed)


@st.composite
def seeds(
    draw: st.DrawFn,
    *,
    amounts: st.SearchStrategy[Decimal] | None = None,
    max_guest_orders: int = 3,
    max_registered_orders: int = 2,
) -> Seed:
    """A consistent data set for a store: guests' and registered customers' orders with
    unique pks, numbers and item pks, one kind per customer id and one name (sku, image)
    per product pk, as a normalized schema holds them; reasons of both types (at least one
    active of each); easy-return carriers (at least one active); addresses of the
    customers and of others."""
    kinds = [CustomerKind.GUEST] * draw(st.integers(1, max_guest_orders)) + [
        CustomerKind.REGISTERED
    ] * draw(st.integers(0, max_registered_orders))
    n = len(kinds)
    order_pks = draw(st.lists(_pks(), min_size=n, max_size=n, unique=True))
    numbers = draw(st.lists(order_numbers(), min_size=n, max_size=n, unique=True))
    drawn = [
        attrs.evolve(draw(orders(customer_kind=kind, amounts=amounts)), pk=pk, number=number)
        for pk, number, kind in zip(order_pks, numbers, kinds, strict=True)
    ]
    total_items = sum(len(order.items) for order in drawn)
    item_pks = iter(draw(st.lists(_pks(), min_size=total_items, max_size=total_items, unique=True)))
    placed = _normalized(
        tuple(
            attrs.evolve(
                order, items=[attrs.evolve(item, pk=next(item_pks)) for item in order.items]
            )
            for order in drawn
        )
    )

    reasons = [
        draw(cancellation_reasons(cancellation_type=CancellationType.CANCEL, is_active=True)),
        draw(cancellation_reasons(cancellation_type=CancellationType.REFUND, is_active=True)),
        *draw(st.lists(cancellation_reasons(), max_size=3)),
    ]
    companies = [
        draw(easy_return_shipping_companies(is_active=True)),
        *draw(st.lists(easy_return_shipping_companies(), max_size=2)),
    ]
    customer_ids = sorted({order.customer.id for order in placed})
    owners = draw(st.lists(st.sampled_from(customer_ids) | _pks(), max_size=4))
    address_list = [Address(pk=0, customer_id=owner) for owner in owners]

    def unique_pks(count: int) -> list[int]:
        return draw(st.lists(_pks(), min_size=count, max_size=count, unique=True))

    return Seed(
        orders=placed,
        reasons=_with_pks(reasons, unique_pks(len(reasons))),
        shipping_companies=_with_pks(companies, unique_pks(len(companies))),
        addresses=_with_pks(address_list, unique_pks(len(address_list))),
    )


@st.composite
def cancellation_requests(
    draw: st.DrawFn, seed: Seed, *, status: CancellationRequestStatus | None = None
) -> CancellationRequest:
    """Requests as a store receives them (``id`` is ``None``), for items of ``seed``'s orders,
    referring only to rows of ``seed``, with every optional field ``None`` or set."""
    order = _pick(draw, seed.orders)
    item = _pick(draw, order.items)
    created = draw(aware_datetimes())
    companies = seed.shipping_companies
    easy_return = (
        EasyReturn(code=draw(easy_return_codes()), shipping_company=_pick(draw, companies))
        if len(companies) > 0 and draw(st.booleans())
        else None
    )
    return CancellationRequest(
        uuid=draw(st.uuids()),
        order=order.pk,
        order_item=item.pk,
        reason=_pick(draw, seed.reasons).pk,
        cancellation_type=draw(_CANCELLATION_TYPES),
        status=status if status is not None else draw(_REQUEST_STATUSES),
        description=draw(_optional(storable_text(max_size=200))),
        quantity=draw(_optional(st.integers(1, item.quantity))),
        iban=draw(_optional(ibans())),
        holder_name=draw(_optional(storable_text(min_size=1, max_size=60))),
        easy_return=easy_return,
        pickup_address=(
            _pick(draw, seed.addresses).pk
            if len(seed.addresses) > 0 and draw(st.booleans())
            else None
        ),
        pickup_date=draw(_optional(pickup_dates())),
        images=draw(st.lists(image_refs(), max_size=3)),
        fully_refund_as_loyalty_money=draw(st.booleans()),
        created_date=created,
        modified_date=created + draw(_MODIFIED_AFTER),
    )


_MODIFIED_AFTER = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30))


_VISIBLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))


@_cached
def idempotency_keys() -> st.SearchStrategy[str]:
    """Valid ``Idempotency-Key`` values: 1 to 255 visible ASCII characters, case kept
    (``"Key-1"`` and ``"key-1"`` are two keys)."""
    return st.text(_VISIBLE_ASCII, min_size=1, max_size=255)


def idempotency_records(
    *, order: int | None = None, request_ids: Sequence[int] | None = None
) -> st.SearchStrategy[IdempotencyRecord]:
    """Idempotency records: a key, a SHA-256 fingerprint, the ids of the requests created
    (1 to 4 distinct ids unless given) and an aware creation time."""
    ids = (
        st.just(tuple(request_ids))
        if request_ids is not None
        else st.lists(_pks(), min_size=1, max_size=4, unique=True).map(tuple)
    )
    return st.builds(
        IdempotencyRecord,
        order=_pinned(order, _pks()),
        key=idempotency_keys(),
        fingerprint=st.binary(min_size=32, max_size=32).map(bytes.hex),
        request_ids=ids,
        created_date=aware_datetimes(),
    )


# ------------------------------------------------------------------ guests' requests


def _other_email(email: str) -> str:
    local, _, domain = email.rpartition("@")
    return f"{local}x@{domain}"


def _email_variants(email: str, policy: Policy) -> list[str]:
    """Spellings of ``email`` that match it under ``policy``."""
    local, _, domain = email.rpartition("@")
    variants = [email, f"{local}@{domain.upper()}", f"{local}@{domain.lower()}"]
    if policy.email_match is EmailMatch.CASE_INSENSITIVE:
        variants += [f"{local.upper()}@{domain}", f"{local.lower()}@{domain}"]
    return variants


@st.composite
def lookup_queries(draw: st.DrawFn, seed: Seed, *, policy: Policy | None = None) -> LookupQuery:
    """Lookups of ``seed``'s orders: mostly the right email (in spellings that match under
    ``policy``), sometimes a wrong email or an unknown number."""
    policy = policy if policy is not None else Policy()
    order = _pick(draw, seed.orders)
    kind = draw(_indices(5))
    if kind == 0:  # an unknown number
        taken = {o.number for o in seed.orders}
        number = draw(order_numbers())
        while number in taken:
            number += "?"
        return LookupQuery(number=number, email=order.user_email)
    if kind == 1:
        return LookupQuery(number=order.number, email=_other_email(order.user_email))
    email = _pick(draw, _email_variants(order.user_email, policy))
    return LookupQuery(number=order.number, email=email)


def _active_reasons(
    reasons: Sequence[CancellationReason], cancellation_type: CancellationType
) -> list[CancellationReason]:
    return [r for r in reasons if r.is_active and r.cancellation_type is cancellation_type]


def _allowed_types(
    order: Order,
    item: OrderItem,
    reasons: Sequence[CancellationReason],
    companies: Sequence[EasyReturnShippingCompany],
    policy: Policy,
    now: datetime,
) -> list[CancellationType]:
    """The cancellation types a valid request for ``item`` (with no active request) can have."""
    if order.item(item.pk) is None:
        return []
    eligibility = policy.eligibility(item, None, now)
    allowed = []
    if eligibility.can_cancel and _active_reasons(reasons, CancellationType.CANCEL):
        allowed.append(CancellationType.CANCEL)
    if (
        eligibility.can_refund
        and _active_reasons(reasons, CancellationType.REFUND)
        and any(c.is_active for c in companies)
    ):
        allowed.append(CancellationType.REFUND)
    return allowed


@st.composite
def _valid_cancel_item(
    draw: st.DrawFn,
    order: Order,
    item: OrderItem,
    reasons: Sequence[CancellationReason],
    companies: Sequence[EasyReturnShippingCompany],
    policy: Policy,
    now: datetime,
    *,
    with_pickup_date: bool,
) -> CancelItem:
    cancellation_type = _pick(draw, _allowed_types(order, item, reasons, companies, policy, now))
    reason = _pick(draw, _active_reasons(reasons, cancellation_type))
    refund = cancellation_type is CancellationType.REFUND
    needs_account = refund and order.payment_type.is_cash
    description = _plain_text(max_size=min(200, policy.max_description_length))
    today = now.date()
    return CancelItem(
        order_item=item.pk,
        reason=reason.pk,
        cancellation_type=cancellation_type,
        description=draw(
            description if reason.extra_information_needed else _optional(description)
        ),
        shipping_company=_pick(draw, [c.pk for c in companies if c.is_active]) if refund else None,
        quantity=draw(_optional(st.integers(1, item.quantity))),
        iban=draw(ibans()) if needs_account else None,
        holder_name=draw(_plain_text(max_size=60)) if needs_account else None,
        pickup_date=(
            draw(_optional(pickup_dates(min_date=today, max_date=today + timedelta(30))))
            if refund and with_pickup_date
            else None
        ),
    )


def _pick_or_any_pk(draw: st.DrawFn, pks: Sequence[int]) -> int:
    """One of ``pks`` three times in four, otherwise any pk (most likely unknown)."""
    return _pick(draw, pks) if len(pks) > 0 and draw(_indices(4)) > 0 else draw(_pks())


@st.composite
def _noisy_cancel_item(
    draw: st.DrawFn, order: Order, seed: Seed, now: datetime, *, bulk: bool
) -> CancelItem:
    """Any item a parser lets through: the use case may refuse it, for any reason."""
    item_pk = _pick_or_any_pk(draw, [item.pk for item in order.items])
    item = order.item(item_pk)
    today = now.date()
    return CancelItem(
        order_item=item_pk,
        reason=_pick_or_any_pk(draw, [reason.pk for reason in seed.reasons]),
        cancellation_type=draw(_CANCELLATION_TYPES),
        description=draw(_optional(_plain_text())),
        shipping_company=(
            _pick_or_any_pk(draw, [c.pk for c in seed.shipping_companies])
            if draw(st.booleans())
            else None
        ),
        quantity=draw(_optional(st.integers(1, (item.quantity if item else 3) + 1))),
        iban=draw(_optional(ibans())),
        holder_name=draw(_optional(_plain_text(max_size=60))),
        pickup_date=(
            draw(
                _optional(
                    pickup_dates(min_date=today - timedelta(days=3), max_date=today + timedelta(30))
                )
            )
            if bulk
            else None
        ),
        images=draw(st.lists(image_uploads(), max_size=1)),
    )


@st.composite
def cancel_items(
    draw: st.DrawFn,
    order: Order,
    seed: Seed,
    *,
    policy: Policy | None = None,
    now: datetime = DEFAULT_NOW,
    bulk: bool = True,
    busy: Collection[int] = (),
) -> CancelItem:
    """Items of a cancellation command for ``order``: usually (three in four) one the use
    case accepts for an item not in ``busy`` (the items with an active request) under
    ``policy`` at ``now``; otherwise anything a parser lets through (unknown items and
    reasons, types the item is not eligible for, fields the type does not take...)."""
    policy = policy if policy is not None else Policy()
    eligible = [
        item
        for item in order.items
        if item.pk not in busy
        and _allowed_types(order, item, seed.reasons, seed.shipping_companies, policy, now)
    ]
    if len(eligible) > 0 and draw(_indices(4)) > 0:
        return draw(
            _valid_cancel_item(
                order,
                _pick(draw, eligible),
                seed.reasons,
                seed.shipping_companies,
                policy,
                now,
                with_pickup_date=bulk,
            )
        )
    return draw(_noisy_cancel_item(order, seed, now, bulk=bulk))


@st.composite
def cancellation_commands(
    draw: st.DrawFn,
    seed: Seed,
    *,
    bulk: bool,
    policy: Policy | None = None,
    now: datetime = DEFAULT_NOW,
    max_items: int = 4,
    busy: Collection[int] = (),
) -> CancellationCommand:
    """Commands against ``seed``'s orders, as the wire layer would build them: mostly
    well-formed for a guest's order with the right email (three in four), otherwise wrong
    in any way the use case checks (wrong email, registered customer, foreign items, an
    item twice, a pickup address of someone else, loyalty money...). ``busy``: the items
    with an active request, which well-formed commands avoid."""
    policy = policy if policy is not None else Policy()
    plausible = bool(seed.guest_orders) and draw(_indices(4)) > 0
    if plausible:
        order = _pick(draw, seed.guest_orders)
        number = order.number
        email = _pick(draw, _email_variants(order.user_email, policy))
    else:
        lookup = draw(lookup_queries(seed, policy=policy))
        known = [o for o in seed.orders if o.number == lookup.number]
        order = known[0] if known else _pick(draw, seed.orders)
        number, email = lookup.number, lookup.email
    item = cancel_items(order, seed, policy=policy, now=now, bulk=bulk, busy=busy)
    if not bulk:
        return CancellationCommand(number=number, email=email, items=[draw(item)], bulk=False)
    items: list[CancelItem] = []
    for _ in range(draw(st.integers(1, max_items))):
        drawn = draw(item)
        if not plausible or all(i.order_item != drawn.order_item for i in items):
            items.append(drawn)
    has_refund = any(i.cancellation_type is CancellationType.REFUND for i in items)
    if plausible:
        own = [a.pk for a in seed.addresses if a.customer_id == order.customer.id]
        wants_pickup = has_refund and len(own) > 0 and draw(st.booleans())
        pickup_address = _pick(draw, own) if wants_pickup else None
        loyalty = has_refund and policy.loyalty_money_enabled and draw(st.booleans())
    else:
        pickup_address = (
            _pick_or_any_pk(draw, [a.pk for a in seed.addresses]) if draw(st.booleans()) else None
        )
        loyalty = draw(st.booleans())
    return CancellationCommand(
        number=number,
        email=email,
        items=items,
        pickup_address=pickup_address,
        fully_refund_as_loyalty_money=loyalty,
        bulk=True,
    )


# --------------------------------------------------------------------------- payloads


def _require_reachable(order: Order, policy: Policy, *, what: str) -> None:
    """Payloads are only meaningful for an order a guest can reach through the wire."""
    number = order.number
    safe_number = (
        number == number.strip()
        and 0 < len(number) <= policy.max_number_length
        and not any(unicodedata.category(c) in {"Cc", "Cs"} for c in number)
    )
    try:
        normalize_email(order.user_email)
    except EmailNotValidError:
        safe_email = False
    else:
        safe_email = True
    if not (order.customer.is_guest and safe_number and safe_email):
        raise ValueError(
            f"{what} needs a guest's order whose number the wire layer keeps as is (no "
            "surrounding spaces or control characters, within the policy's length) and "
            "whose email is valid"
        )


def lookup_payloads(order: Order, *, policy: Policy | None = None) -> st.SearchStrategy[Payload]:
    """Bodies of ``POST /users/orders/anonymous/`` that find ``order``, in every spelling
    of the email that matches under ``policy``.

    Raises ``ValueError`` at once unless ``order`` is a guest's, with a number the wire
    layer keeps as is and a valid email (as :func:`orders` and :func:`example_seed`'s
    guest orders have when their numbers are plain).
    """
    policy = policy if policy is not None else Policy()
    _require_reachable(order, policy, what="lookup_payloads")
    return st.sampled_from(_email_variants(order.user_email, policy)).map(
        lambda email: {"number": order.number, "email": email}
    )


def _item_payload(item: CancelItem, *, bulk: bool) -> Payload:
    """``item`` as a client writes it, in a single request's body or a bulk request's list
    (as the wire contract declares them)."""
    return wire_spec.payload(wire_spec.BULK_ITEM if bulk else wire_spec.ITEM, item)


def _eligible_items(
    order: Order,
    reasons: Sequence[CancellationReason],
    companies: Sequence[EasyReturnShippingCompany],
    policy: Policy,
    now: datetime,
    *,
    what: str,
) -> list[OrderItem]:
    _require_reachable(order, policy, what=what)
    eligible = [
        item for item in order.items if _allowed_types(order, item, reasons, companies, policy, now)
    ]
    if not eligible:
        raise ValueError(
            f"{what} needs a guest's order with an item that can be cancelled or refunded "
            "under the policy, an active reason of that type (and an active carrier for a "
            "refund)"
        )
    return eligible


def _today(today: date | None) -> datetime:
    return datetime.combine(today, time(12), UTC) if today is not None else DEFAULT_NOW


@st.composite
def _valid_single(
    draw: st.DrawFn,
    order: Order,
    reasons: Sequence[CancellationReason],
    companies: Sequence[EasyReturnShippingCompany],
    policy: Policy,
    now: datetime,
) -> tuple[Payload, CancelItem]:
    eligible = _eligible_items(order, reasons, companies, policy, now, what="cancellation_payloads")
    item = draw(st.sampled_from(eligible))
    cancel_item = draw(
        _valid_cancel_item(order, item, reasons, companies, policy, now, with_pickup_date=False)
    )
    email = draw(st.sampled_from(_email_variants(order.user_email, policy)))
    return {
        "number": order.number,
        "email": email,
        **_item_payload(cancel_item, bulk=False),
    }, cancel_item


def cancellation_payloads(
    order: Order,
    *,
    reasons: Sequence[CancellationReason],
    shipping_companies: Sequence[EasyReturnShippingCompany],
    policy: Policy | None = None,
    today: date | None = None,
) -> st.SearchStrategy[Payload]:
    """Bodies of ``POST /users/orders/anonymous/cancellation_requests/`` that the endpoint
    accepts for ``order`` (which has no active request yet) under ``policy`` (default
    :class:`~guest_orders.Policy`), given these reasons and easy-return carriers.

    ``today`` is the date of the clock the endpoint runs with: eligibility (the return
    window) is judged at its noon UTC. Left ``None``, the strategy judges at
    :data:`DEFAULT_NOW`.

    Raises ``ValueError`` at once unless ``order`` is a guest's with a plain number and a
    valid email, and one of its items can be cancelled or refunded with these rows.
    """
    policy = policy if policy is not None else Policy()
    now = _today(today)
    _eligible_items(order, reasons, shipping_companies, policy, now, what="cancellation_payloads")
    return _valid_single(order, reasons, shipping_companies, policy, now).map(lambda p: p[0])


@st.composite
def _valid_bulk(
    draw: st.DrawFn,
    order: Order,
    reasons: Sequence[CancellationReason],
    companies: Sequence[EasyReturnShippingCompany],
    addresses: Sequence[Address],
    policy: Policy,
    now: datetime,
    *,
    with_pickup_date: bool,
) -> tuple[Payload, list[CancelItem]]:
    eligible = _eligible_items(
        order, reasons, companies, policy, now, what="bulk_cancellation_payloads"
    )
    chosen = draw(
        st.lists(
            st.sampled_from(eligible),
            min_size=1,
            max_size=min(len(eligible), policy.max_bulk_items),
            unique_by=_pk,
        )
    )
    items = [
        draw(
            _valid_cancel_item(
                order, item, reasons, companies, policy, now, with_pickup_date=with_pickup_date
            )
        )
        for item in chosen
    ]
    email = draw(st.sampled_from(_email_variants(order.user_email, policy)))
    payload: Payload = {
        "number": order.number,
        "email": email,
        wire_spec.ITEMS_FIELD: [_item_payload(item, bulk=True) for item in items],
    }
    has_refund = any(item.cancellation_type is CancellationType.REFUND for item in items)
    own = [a.pk for a in addresses if a.customer_id == order.customer.id]
    if has_refund and own and draw(st.booleans()):
        payload["pickup_address"] = draw(st.sampled_from(own))
    if has_refund and policy.loyalty_money_enabled:
        payload["fully_refund_as_loyalty_money"] = draw(st.booleans())
    elif draw(st.booleans()):
        payload["fully_refund_as_loyalty_money"] = False
    return payload, items


def bulk_cancellation_payloads(
    order: Order,
    *,
    reasons: Sequence[CancellationReason],
    shipping_companies: Sequence[EasyReturnShippingCompany],
    addresses: Sequence[Address] = (),
    policy: Policy | None = None,
    today: date | None = None,
) -> st.SearchStrategy[Payload]:
    """Bodies of ``POST /users/orders/anonymous/bulk_cancellation_requests/`` that the
    endpoint accepts for ``order``: distinct items, each cancelled or refunded, with a
    pickup address of the customer's ``addresses`` now and then, and loyalty money when
    ``policy`` offers it.

    ``today`` as for :func:`cancellation_payloads`; only when it is given do refund items
    carry pickup dates (from ``today`` on). Raises ``ValueError`` as
    :func:`cancellation_payloads` does.
    """
    policy = policy if policy is not None else Policy()
    now = _today(today)
    _eligible_items(
        order, reasons, shipping_companies, policy, now, what="bulk_cancellation_payloads"
    )
    return _valid_bulk(
        order,
        reasons,
        shipping_companies,
        addresses,
        policy,
        now,
        with_pickup_date=today is not None,
    ).map(lambda p: p[0])


# ------------------------------------------------------------------- invalid payloads

_MALFORMED_EMAILS = ["not-an-email", "guest@", "@example.com", "a b@example.com", "a@@example.com"]


def _without(payload: Payload, key: str) -> Payload:
    return {k: v for k, v in payload.items() if k != key}


def _with(payload: Payload, **changes: Any) -> Payload:
    return {**payload, **changes}


def _pick_mutation(draw: st.DrawFn, mutations: Sequence[InvalidPayload]) -> InvalidPayload:
    """A code first, then one of its mutations: every code is about as likely, however
    many ways there are to break a payload with it."""
    codes = list(dict.fromkeys(code for _, code in mutations))
    code = _pick(draw, codes)
    return _pick(draw, [mutation for mutation in mutations if mutation[1] == code])


def _common_mutations(order: Order, payload: Payload) -> list[InvalidPayload]:
    """Breaking ``number``/``email``: shared by every endpoint."""
    return [
        (_without(payload, "number"), "required"),
        (_without(payload, "email"), "required"),
        *[(_with(payload, email=email), "invalid_email") for email in _MALFORMED_EMAILS],
        (_with(payload, number=[order.number]), "invalid_type"),
        (_with(payload, email=_other_email(order.user_email)), "order_not_found"),
        (_with(payload, number=order.number + "0"), "order_not_found"),
    ]


def invalid_lookup_payloads(
    order: Order, *, policy: Policy | None = None
) -> st.SearchStrategy[InvalidPayload]:
    """``(payload, expected_code)`` for the lookup endpoint, a body that would find
    ``order`` broken in one way: ``required``, ``invalid_email``, ``invalid_type`` or
    ``order_not_found`` (a wrong email, an unknown number). Same conditions on ``order``
    as :func:`lookup_payloads`."""
    _require_reachable(order, policy or Policy(), what="invalid_lookup_payloads")
    payload = {"number": order.number, "email": order.user_email}
    return st.sampled_from(_common_mutations(order, payload))


def _item_mutations(
    order: Order,
    item_payload: Payload,
    item: CancelItem,
    reasons: Sequence[CancellationReason],
    companies: Sequence[EasyReturnShippingCompany],
    policy: Policy,
    now: datetime,
    *,
    with_pickup_date: bool,
) -> list[tuple[Payload, str]]:
    """One item's payload broken in one way each, with the code it must produce."""
    p = item_payload
    order_item = order.item(item.order_item)
    assert order_item is not None
    refund = item.cancellation_type is CancellationType.REFUND
    reason = next(r for r in reasons if r.pk == item.reason)
    out: list[tuple[Payload, str]] = [
        (_without(p, "order_item"), "required"),
        (_without(p, "reason"), "required"),
        (_without(p, "cancellation_type"), "required"),
        (_with(p, quantity=True), "invalid_type"),
        (_with(p, quantity=[1]), "invalid_type"),
        (_with(p, order_item=True), "invalid_type"),
        (_with(p, reason="first"), "invalid_type"),
        (_with(p, quantity=0), "min_value"),
        (_with(p, quantity=-1), "min_value"),
        (_with(p, order_item=max(i.pk for i in order.items) + 1), "order_item_not_in_order"),
        (_with(p, reason=max(r.pk for r in reasons) + 1), "invalid_reason"),
        (_with(p, quantity=order_item.quantity + 1), "quantity_exceeds_item"),
    ]
    out += [
        (_with(p, reason=r.pk), "invalid_reason")
        for r in reasons
        if not r.is_active and r.cancellation_type is item.cancellation_type
    ][:1]
    out += [
        (_with(p, reason=r.pk), "reason_type_mismatch")
        for r in reasons
        if r.is_active and r.cancellation_type is not item.cancellation_type
    ][:1]
    if reason.extra_information_needed:
        out.append((_without(p, "description"), "description_required"))
    active = [c.pk for c in companies if c.is_active]
    if refund:
        out.append((_without(p, "shipping_company"), "shipping_company_required"))
        out.append(
            (
                _with(p, shipping_company=max(c.pk for c in companies) + 1),
                "invalid_shipping_company",
            )
        )
        out += [
            (_with(p, shipping_company=c.pk), "invalid_shipping_company")
            for c in companies
            if not c.is_active
        ][:1]
    elif active:
        out.append((_with(p, shipping_company=active[0]), "shipping_company_not_allowed"))
    if refund and order.payment_type.is_cash:
        out.append((_without(p, "iban"), "iban_required"))
        out.append((_without(p, "holder_name"), "holder_name_required"))
    else:
        out.append((_with(p, iban=_iban(61, 1).compact), "iban_not_allowed"))
        out.append((_with(p, holder_name="Ayşe Yılmaz"), "holder_name_not_allowed"))
    eligibility = policy.eligibility(order_item, None, now)
    if not refund and not eligibility.can_refund:
        out += _switched_type(p, CancellationType.REFUND, order, reasons, companies)
    if refund and not eligibility.can_cancel:
        out += _switched_type(p, CancellationType.CANCEL, order, reasons, companies)
    if with_pickup_date:
        day = now.date()
        hours = {"start": "09:00", "end": "12:00"}
        past = {"date": (day - timedelta(days=1)).isoformat(), "hour_range": hours}
        future = {"date": (day + timedelta(days=1)).isoformat(), "hour_range": hours}
        if refund:
            out.append((_with(p, pickup_date=past), "pickup_date_in_past"))
        else:
            out.append((_with(p, pickup_date=future), "pickup_date_not_allowed"))
    return out


def _switched_type(
    p: Payload,
    to: CancellationType,
    order: Order,
    reasons: Sequence[CancellationReason],
    companies: Sequence[EasyReturnShippingCompany],
) -> list[tuple[Payload, str]]:
    """The item asked for with the type it is not eligible for, otherwise well-formed."""
    candidates = [r for r in _active_reasons(reasons, to) if not r.extra_information_needed]
    active = [c.pk for c in companies if c.is_active]
    if not candidates or (to is CancellationType.REFUND and not active):
        return []
    changed = {
        k: v
        for k, v in p.items()
        if k not in {"shipping_company", "iban", "holder_name", "pickup_date", "description"}
    }
    changed.update(reason=candidates[0].pk, cancellation_type=to.value)
    if to is CancellationType.REFUND:
        changed["shipping_company"] = active[0]
        if order.payment_type.is_cash:
            changed.update(iban=_iban(61, 1).compact, holder_name="Ayşe Yılmaz")
        return [(changed, "item_not_refundable")]
    return [(changed, "item_not_cancellable")]


@st.composite
def _invalid_single(
    draw: st.DrawFn,
    order: Order,
    reasons: Sequence[CancellationReason],
    companies: Sequence[EasyReturnShippingCompany],
    policy: Policy,
    now: datetime,
) -> InvalidPayload:
    payload, item = draw(_valid_single(order, reasons, companies, policy, now))
    head = {"number": payload["number"], "email": payload["email"]}
    body = {k: v for k, v in payload.items() if k not in head}
    item_level = [
        ({**head, **broken}, code)
        for broken, code in _item_mutations(
            order, body, item, reasons, companies, policy, now, with_pickup_date=False
        )
    ]
    return _pick_mutation(draw, [*_common_mutations(order, payload), *item_level])


def invalid_cancellation_payloads(
    order: Order,
    *,
    reasons: Sequence[CancellationReason],
    shipping_companies: Sequence[EasyReturnShippingCompany],
    policy: Policy | None = None,
    today: date | None = None,
) -> st.SearchStrategy[InvalidPayload]:
    """``(payload, expected_code)`` for the single cancellation endpoint: a body
    :func:`cancellation_payloads` would yield, broken in exactly one way. Codes: ``required``,
    ``invalid_email``, ``invalid_type``, ``min_value``, ``order_not_found``,
    ``order_item_not_in_order``, ``invalid_reason``, ``reason_type_mismatch``,
    ``description_required``, ``shipping_company_required``, ``shipping_company_not_allowed``,
    ``invalid_shipping_company``, ``quantity_exceeds_item``, ``iban_required``,
    ``holder_name_required``, ``iban_not_allowed``, ``holder_name_not_allowed``,
    ``item_not_cancellable``, ``item_not_refundable``."""
    policy = policy if policy is not None else Policy()
    now = _today(today)
    _eligible_items(
        order, reasons, shipping_companies, policy, now, what="invalid_cancellation_payloads"
    )
    return _invalid_single(order, reasons, shipping_companies, policy, now)


@st.composite
def _invalid_bulk(
    draw: st.DrawFn,
    order: Order,
    reasons: Sequence[CancellationReason],
    companies: Sequence[EasyReturnShippingCompany],
    addresses: Sequence[Address],
    policy: Policy,
    now: datetime,
    *,
    with_pickup_date: bool,
) -> InvalidPayload:
    payload, items = draw(
        _valid_bulk(
            order, reasons, companies, addresses, policy, now, with_pickup_date=with_pickup_date
        )
    )
    bodies: list[Payload] = payload["cancel_order_items"]
    index = draw(st.integers(0, len(items) - 1))
    item_level = [
        (_bulk_with_item(payload, index, broken), code)
        for broken, code in _item_mutations(
            order,
            bodies[index],
            items[index],
            reasons,
            companies,
            policy,
            now,
            with_pickup_date=with_pickup_date,
        )
    ]
    has_refund = any(item.cancellation_type is CancellationType.REFUND for item in items)
    top: list[tuple[Payload, str]] = [
        (_without(payload, "cancel_order_items"), "required"),
        (_with(payload, cancel_order_items={"order_item": 1}), "invalid_type"),
        (_with(payload, fully_refund_as_loyalty_money="yes"), "invalid_type"),
        (_with(payload, pickup_address="home"), "invalid_type"),
    ]
    unknown_address = max([a.pk for a in addresses], default=0) + 1
    if has_refund:
        top.append((_with(payload, pickup_address=unknown_address), "invalid_pickup_address"))
        if not policy.loyalty_money_enabled:
            top.append(
                (_with(payload, fully_refund_as_loyalty_money=True), "loyalty_money_disabled")
            )
    else:
        top.append((_with(payload, pickup_address=unknown_address), "pickup_address_not_allowed"))
        if policy.loyalty_money_enabled:
            top.append(
                (_with(payload, fully_refund_as_loyalty_money=True), "loyalty_money_not_allowed")
            )
        else:
            top.append(
                (_with(payload, fully_refund_as_loyalty_money=True), "loyalty_money_disabled")
            )
    return _pick_mutation(draw, [*_common_mutations(order, payload), *item_level, *top])


def _bulk_with_item(payload: Payload, index: int, item: Payload) -> Payload:
    """``payload`` with its item at ``index`` replaced; without the fields that need a
    refund item if none is left (so the item's own error is the only one)."""
    items = list(payload["cancel_order_items"])
    items[index] = item
    out = _with(payload, cancel_order_items=items)
    if not any(i.get("cancellation_type") == CancellationType.REFUND.value for i in items):
        out.pop("pickup_address", None)
        out.pop("fully_refund_as_loyalty_money", None)
    return out


def invalid_bulk_cancellation_payloads(
    order: Order,
    *,
    reasons: Sequence[CancellationReason],
    shipping_companies: Sequence[EasyReturnShippingCompany],
    addresses: Sequence[Address] = (),
    policy: Policy | None = None,
    today: date | None = None,
) -> st.SearchStrategy[InvalidPayload]:
    """``(payload, expected_code)`` for the bulk endpoint: a body
    :func:`bulk_cancellation_payloads` would yield, broken in exactly one way: at the top
    (``cancel_order_items`` missing or not a list, a foreign ``pickup_address``, loyalty
    money the shop does not offer, ...) or in one of its items (every code of
    :func:`invalid_cancellation_payloads`, plus ``pickup_date_in_past`` and
    ``pickup_date_not_allowed``)."""
    policy = policy if policy is not None else Policy()
    now = _today(today)
    _eligible_items(
        order, reasons, shipping_companies, policy, now, what="invalid_bulk_cancellation_payloads"
    )
    return _invalid_bulk(
        order,
        reasons,
        shipping_companies,
        addresses,
        policy,
        now,
        with_pickup_date=today is not None,
    )
