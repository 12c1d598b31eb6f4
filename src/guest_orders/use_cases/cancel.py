"""Request cancellation or refund of one or several items of a guest order."""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from guest_orders import logs
from guest_orders.domain import (
    Address,
    CancelItem,
    CancellationCommand,
    CancellationReason,
    CancellationRequest,
    CancellationRequested,
    CancellationType,
    EasyReturn,
    EasyReturnShippingCompany,
    IdempotencyRecord,
    ImageRef,
    OrderItem,
    OrderSnapshot,
    command_fingerprint,
    is_valid_idempotency_key,
)
from guest_orders.errors import IdempotencyKeyReused, RulesViolated, Violation
from guest_orders.policy import Policy
from guest_orders.ports import (
    ActiveRequestExists,
    AsyncAttemptLimiter,
    AsyncUnitOfWork,
    AttemptLimiter,
    Clock,
    IdempotencyKeyExists,
    UnitOfWork,
)
from guest_orders.throttling import AsyncNoAttemptLimiter, NoAttemptLimiter
from guest_orders.use_cases._ownership import load_owned_order
from guest_orders.use_cases._steps import (
    Steps,
    add_events,
    add_idempotency_record,
    add_requests,
    delete_image,
    get_address,
    get_idempotency_record,
    get_reasons,
    get_requests,
    put_image,
    run,
    run_async,
    transaction,
)
from guest_orders.use_cases._throttle import throttled
from guest_orders.wire.errors import rules_violated

__all__ = [
    "async_request_cancellation",
    "cancellation_steps",
    "idempotency_key_violations",
    "request_cancellation",
]

_NO_LIMIT = NoAttemptLimiter()
_NO_LIMIT_ASYNC = AsyncNoAttemptLimiter()
_EASY_RETURN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alikes (0/O, 1/I)

#: The violations of one item (or of the request), in the order they are found.
_Violations = list[Violation]


def request_cancellation(
    command: CancellationCommand,
    *,
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    limiter: AttemptLimiter = _NO_LIMIT,
    client: str | None = None,
    idempotency_key: str | None = None,
) -> list[CancellationRequest]:
    """Create one cancellation request per listed item, all or none.

    Raises :class:`guest_orders.OrderNotFound` for every kind of ownership miss and
    :class:`guest_orders.RulesViolated` (an :class:`guest_orders.InvalidRequest`) listing
    every broken rule otherwise as ``Violation(code, field, item)``, including
    ``cancellation_request_100_1`` for an item that already has an active request.
    Throttled like :func:`guest_orders.use_cases.lookup_order`, and the command's email
    is expected normalized as there.

    ``idempotency_key`` (1 to 255 visible ASCII characters, else ``RulesViolated`` with
    ``invalid_idempotency_key``) makes retries safe. It is looked up only once ownership is
    proven, and only on this order: a retry with the same key and the same command returns
    the requests the first one created, as they are stored now, and creates nothing; the
    same key with another command raises :class:`guest_orders.IdempotencyKeyReused`. The
    key is stored in the same transaction as the requests. Of two concurrent requests with
    one key, the loser creates nothing: it returns the winner's requests when the winner's
    key is visible to it by then, else it fails as the one-active rule says
    (``cancellation_request_100_1``) and its next retry gets the winner's requests.

    Each created request adds one :class:`guest_orders.domain.CancellationRequested` to
    the outbox (``repos.outbox``), in the same transaction; a failure or a replay adds none.
    """
    return run(
        cancellation_steps(
            command, clock=clock, policy=policy, client=client, idempotency_key=idempotency_key
        ),
        uow=uow,
        limiter=limiter,
    )


async def async_request_cancellation(
    command: CancellationCommand,
    *,
    uow: AsyncUnitOfWork,
    clock: Clock,
    policy: Policy,
    limiter: AsyncAttemptLimiter = _NO_LIMIT_ASYNC,
    client: str | None = None,
    idempotency_key: str | None = None,
) -> list[CancellationRequest]:
    """:func:`request_cancellation` over the async ports (the same steps, awaited)."""
    return await run_async(
        cancellation_steps(
            command, clock=clock, policy=policy, client=client, idempotency_key=idempotency_key
        ),
        uow=uow,
        limiter=limiter,
    )


def cancellation_steps(
    command: CancellationCommand,
    *,
    clock: Clock,
    policy: Policy,
    client: str | None = None,
    idempotency_key: str | None = None,
) -> Steps[list[CancellationRequest]]:
    """The cancellation, as steps (see :mod:`guest_orders.use_cases._steps`)."""
    key: _Key | None = None
    if idempotency_key is not None:
        problems = idempotency_key_violations(idempotency_key)
        if problems:
            raise rules_violated(problems, bulk=command.bulk, item_count=len(command.items))
        key = _Key(idempotency_key, command_fingerprint(command))
    order, created, replayed = yield from throttled(
        transaction(_in_transaction(command, key, clock=clock, policy=policy)),
        command.number,
        client,
        operation="cancellation",
    )
    ids = [request.id for request in created]
    if replayed:
        logs.idempotent_replay(order, [pk for pk in ids if pk is not None])
    else:
        logs.cancellation_created(
            order, ids, bulk=command.bulk, idempotency_key_given=key is not None
        )
    return created


def _in_transaction(
    command: CancellationCommand, key: _Key | None, *, clock: Clock, policy: Policy
) -> Steps[tuple[int, list[CancellationRequest], bool]]:
    snapshot = yield from load_owned_order(command.lookup, policy=policy, clock=clock)
    order = snapshot.order.pk
    record = (yield from get_idempotency_record(order, key.key)) if key is not None else None
    if record is not None:
        assert key is not None
        return order, (yield from _replay(record, key)), True
    now = clock.now()
    reasons = yield from get_reasons({item.reason for item in command.items})
    address = (
        (yield from get_address(command.pickup_address))
        if command.pickup_address is not None
        else None
    )
    _check(command, snapshot, reasons, address, policy=policy, now=now)
    created, replayed = yield from _store(command, snapshot, now=now, key=key)
    return order, created, replayed


def idempotency_key_violations(key: object) -> tuple[Violation, ...]:
    """The one check of an idempotency key: nothing when ``key`` is ``None`` or 1 to 255
    visible ASCII characters, else ``invalid_idempotency_key`` for the whole request."""
    if key is None or is_valid_idempotency_key(key):
        return ()
    return (Violation("invalid_idempotency_key"),)


@attrs.frozen
class _Key:
    """An idempotency key with the fingerprint of the command it came with."""

    key: str = attrs.field(repr=False)
    fingerprint: str


def _replay(record: IdempotencyRecord, key: _Key) -> Steps[list[CancellationRequest]]:
    """The requests the first command with this key created, if this is that command."""
    if not hmac.compare_digest(record.fingerprint, key.fingerprint):
        logs.idempotency_key_reused(record.order)
        raise IdempotencyKeyReused
    requests = list((yield from get_requests(record.request_ids)))
    if len(requests) != len(record.request_ids):
        # Some were deleted since: the first response cannot be given again.
        logs.idempotency_key_reused(record.order)
        raise IdempotencyKeyReused
    return requests


def _check(
    command: CancellationCommand,
    snapshot: OrderSnapshot,
    reasons: Mapping[int, CancellationReason],
    address: Address | None,
    *,
    policy: Policy,
    now: datetime,
) -> None:
    found: _Violations = []
    has_refund = any(i.cancellation_type is CancellationType.REFUND for i in command.items)
    if command.pickup_address is not None:
        if not has_refund:
            found.append(Violation("pickup_address_not_allowed", "pickup_address"))
        elif address is None or address.customer_id != snapshot.order.customer.id:
            found.append(Violation("invalid_pickup_address", "pickup_address"))
    if command.fully_refund_as_loyalty_money:
        if not policy.loyalty_money_enabled:
            found.append(Violation("loyalty_money_disabled", "fully_refund_as_loyalty_money"))
        elif not has_refund:
            found.append(Violation("loyalty_money_not_allowed", "fully_refund_as_loyalty_money"))

    companies = {c.pk: c for c in snapshot.easy_return_shipping_companies}
    # One map for the whole request: looking each item up in ``Order.items`` would make a
    # bulk request quadratic in its number of items.
    order_items = {order_item.pk: order_item for order_item in snapshot.order.items}
    for index, item in enumerate(command.items):
        found.extend(
            attrs.evolve(violation, item=index)
            for violation in _check_item(item, snapshot, order_items, reasons, companies, now=now)
        )
    if found:
        raise rules_violated(found, bulk=command.bulk, item_count=len(command.items))


@attrs.frozen(kw_only=True)
class _ItemContext:
    """What every per-item rule looks at."""

    item: CancelItem
    order_item: OrderItem
    snapshot: OrderSnapshot
    reasons: Mapping[int, CancellationReason]
    companies: Mapping[int, EasyReturnShippingCompany]
    now: datetime

    @property
    def is_refund(self) -> bool:
        return self.item.cancellation_type is CancellationType.REFUND


def _check_item(
    item: CancelItem,
    snapshot: OrderSnapshot,
    order_items: Mapping[int, OrderItem],
    reasons: Mapping[int, CancellationReason],
    companies: Mapping[int, EasyReturnShippingCompany],
    *,
    now: datetime,
) -> _Violations:
    """The item's violations (``item`` left ``None``: the caller knows the index)."""
    order_item = order_items.get(item.order_item)
    if order_item is None:
        return [Violation("order_item_not_in_order", "order_item")]
    if item.order_item in snapshot.active_requests:
        return [Violation(ActiveRequestExists.code)]
    ctx = _ItemContext(
        item=item,
        order_item=order_item,
        snapshot=snapshot,
        reasons=reasons,
        companies=companies,
        now=now,
    )
    found: _Violations = []
    for rule in _ITEM_RULES:
        rule(ctx, found)
    return found


def _rule_eligibility(ctx: _ItemContext, found: _Violations) -> None:
    eligibility = ctx.snapshot.eligibility[ctx.order_item.pk]
    if ctx.is_refund and not eligibility.can_refund:
        found.append(Violation("item_not_refundable", "cancellation_type"))
    elif not ctx.is_refund and not eligibility.can_cancel:
        found.append(Violation("item_not_cancellable", "cancellation_type"))


def _rule_reason(ctx: _ItemContext, found: _Violations) -> None:
    reason = ctx.reasons.get(ctx.item.reason)
    if reason is None or not reason.is_active:
        found.append(Violation("invalid_reason", "reason"))
    elif reason.cancellation_type is not ctx.item.cancellation_type:
        found.append(Violation("reason_type_mismatch", "reason"))
    elif reason.extra_information_needed and not (ctx.item.description or "").strip():
        found.append(Violation("description_required", "description"))


def _rule_shipping_company(ctx: _ItemContext, found: _Violations) -> None:
    company = ctx.item.shipping_company
    if not ctx.is_refund:
        if company is not None:
            found.append(Violation("shipping_company_not_allowed", "shipping_company"))
    elif company is None:
        found.append(Violation("shipping_company_required", "shipping_company"))
    elif company not in ctx.companies:
        found.append(Violation("invalid_shipping_company", "shipping_company"))


def _rule_quantity(ctx: _ItemContext, found: _Violations) -> None:
    if ctx.item.quantity is not None and ctx.item.quantity > ctx.order_item.quantity:
        found.append(Violation("quantity_exceeds_item", "quantity"))


def _rule_bank_account(ctx: _ItemContext, found: _Violations) -> None:
    """Refunds of cash-paid orders go to a bank account; nothing else takes one."""
    needed = ctx.is_refund and ctx.snapshot.order.payment_type.is_cash
    for field, value in (("iban", ctx.item.iban), ("holder_name", ctx.item.holder_name)):
        missing = value is None or (isinstance(value, str) and not value.strip())
        if needed and missing:
            found.append(Violation(f"{field}_required", field))
        elif not needed and value is not None:
            found.append(Violation(f"{field}_not_allowed", field))


def _rule_pickup_date(ctx: _ItemContext, found: _Violations) -> None:
    pickup = ctx.item.pickup_date
    if pickup is None:
        return
    if not ctx.is_refund:
        found.append(Violation("pickup_date_not_allowed", "pickup_date"))
    elif pickup.date < ctx.now.date():
        found.append(Violation("pickup_date_in_past", "pickup_date"))


_ITEM_RULES = (
    _rule_eligibility,
    _rule_reason,
    _rule_shipping_company,
    _rule_quantity,
    _rule_bank_account,
    _rule_pickup_date,
)


def _store(
    command: CancellationCommand,
    snapshot: OrderSnapshot,
    *,
    now: datetime,
    key: _Key | None,
) -> Steps[tuple[list[CancellationRequest], bool]]:
    """Store the requests (and the key's record, in the same transaction); the requests
    and whether they are a concurrent winner's, replayed."""
    companies = {c.pk: c for c in snapshot.easy_return_shipping_companies}
    stored_images: list[ImageRef] = []
    try:
        drafts = []
        for item in command.items:
            images = yield from _put_images(item, stored_images)
            easy_return = (
                EasyReturn(
                    code=_easy_return_code(), shipping_company=companies[item.shipping_company]
                )
                if item.shipping_company is not None
                else None
            )
            drafts.append(
                CancellationRequest(
                    uuid=uuid.uuid4(),
                    order=snapshot.order.pk,
                    order_item=item.order_item,
                    reason=item.reason,
                    cancellation_type=item.cancellation_type,
                    description=item.description,
                    quantity=item.quantity,
                    iban=item.iban,
                    holder_name=item.holder_name,
                    easy_return=easy_return,
                    pickup_address=command.pickup_address,
                    pickup_date=item.pickup_date,
                    images=images,
                    fully_refund_as_loyalty_money=command.fully_refund_as_loyalty_money,
                    created_date=now,
                    modified_date=now,
                )
            )
        created = list((yield from add_requests(drafts)))
        if key is not None:
            yield from add_idempotency_record(
                IdempotencyRecord(
                    order=snapshot.order.pk,
                    key=key.key,
                    fingerprint=key.fingerprint,
                    request_ids=[_stored_id(request) for request in created],
                    created_date=now,
                )
            )
        # The events go to the outbox in the same transaction: committed with the
        # requests, or rolled back with them.
        number = snapshot.order.number
        yield from add_events(
            [
                CancellationRequested.of(r, order_number=number, event_id=uuid.uuid4())
                for r in created
            ]
        )
    except ActiveRequestExists as conflict:
        yield from _forget(stored_images)
        # Nothing of this batch was stored. A concurrent request with the same key may be
        # the one that won: answer with its requests when its key is visible by now.
        winner = (
            (yield from get_idempotency_record(snapshot.order.pk, key.key))
            if key is not None
            else None
        )
        if winner is None:
            raise _conflict_error(command, conflict) from None
        assert key is not None
        return (yield from _replay(winner, key)), True
    except IdempotencyKeyExists:
        # A concurrent request with this key and another command won; raising rolls back
        # what this one stored.
        yield from _forget(stored_images)
        logs.idempotency_key_reused(snapshot.order.pk)
        raise IdempotencyKeyReused from None
    except BaseException:
        yield from _forget(stored_images)
        raise
    return created, False


def _stored_id(request: CancellationRequest) -> int:
    if request.id is None:
        raise ValueError("the repository returned a request without an id")
    return request.id


def _put_images(item: CancelItem, stored: list[ImageRef]) -> Steps[tuple[ImageRef, ...]]:
    refs: list[ImageRef] = []
    for upload in item.images:
        ref = yield from put_image(upload)
        stored.append(ref)
        refs.append(ref)
    return tuple(refs)


def _forget(refs: Sequence[ImageRef]) -> Steps[None]:
    for ref in refs:
        yield from delete_image(ref)


def _conflict_error(command: CancellationCommand, conflict: ActiveRequestExists) -> RulesViolated:
    """A concurrent writer won the race: report it like the read-time check does."""
    return rules_violated(
        (
            Violation(ActiveRequestExists.code, item=index)
            for index, item in enumerate(command.items)
            if not command.bulk or item.order_item in conflict.order_items
        ),
        bulk=command.bulk,
        item_count=len(command.items),
    )


def _easy_return_code() -> str:
    return "".join(secrets.choice(_EASY_RETURN_ALPHABET) for _ in range(10))
