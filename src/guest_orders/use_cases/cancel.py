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
    MAX_IDEMPOTENCY_KEY_LENGTH,
    Address,
    CancelItem,
    CancellationCommand,
    CancellationReason,
    CancellationRequest,
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
from guest_orders.errors import (
    NON_FIELD_ERRORS,
    ErrorDetail,
    ErrorTree,
    IdempotencyKeyReused,
    InvalidRequest,
)
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

__all__ = [
    "INVALID_IDEMPOTENCY_KEY",
    "async_request_cancellation",
    "cancellation_steps",
    "check_idempotency_key",
    "request_cancellation",
]

ITEMS_FIELD = "cancel_order_items"
_NO_LIMIT = NoAttemptLimiter()
_NO_LIMIT_ASYNC = AsyncNoAttemptLimiter()
_EASY_RETURN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alikes (0/O, 1/I)

_FieldErrors = dict[str, list[ErrorDetail]]


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
    :class:`guest_orders.InvalidRequest` naming every failing field otherwise, including
    ``cancellation_request_100_1`` for an item that already has an active request.
    Throttled like :func:`guest_orders.use_cases.lookup_order`, and the command's email
    is expected normalized as there.

    ``idempotency_key`` (1 to 255 visible ASCII characters, else ``InvalidRequest`` with
    ``invalid_idempotency_key``) makes retries safe. It is looked up only once ownership is
    proven, and only on this order: a retry with the same key and the same command returns
    the requests the first one created, as they are stored now, and creates nothing; the
    same key with another command raises :class:`guest_orders.IdempotencyKeyReused`. The
    key is stored in the same transaction as the requests. Of two concurrent requests with
    one key, the loser creates nothing: it returns the winner's requests when the winner's
    key is visible to it by then, else it fails as the one-active rule says
    (``cancellation_request_100_1``) and its next retry gets the winner's requests.
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
        check_idempotency_key(idempotency_key)
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


#: The one problem of a malformed idempotency key.
INVALID_IDEMPOTENCY_KEY = ErrorDetail(
    "invalid_idempotency_key",
    f"The idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters.",
)


def check_idempotency_key(key: object) -> None:
    """Raise :class:`InvalidRequest` (``invalid_idempotency_key``, under
    ``non_field_errors``) unless ``key`` is 1 to 255 visible ASCII characters."""
    if not is_valid_idempotency_key(key):
        raise InvalidRequest({NON_FIELD_ERRORS: [INVALID_IDEMPOTENCY_KEY]})


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
    top: _FieldErrors = {}
    has_refund = any(i.cancellation_type is CancellationType.REFUND for i in command.items)
    if command.pickup_address is not None:
        if not has_refund:
            _add(
                top,
                "pickup_address",
                "pickup_address_not_allowed",
                "A pickup address can only be given with refund items.",
            )
        elif address is None or address.customer_id != snapshot.order.customer.id:
            _add(
                top,
                "pickup_address",
                "invalid_pickup_address",
                "This pickup address is not one of the customer's addresses.",
            )
    if command.fully_refund_as_loyalty_money:
        if not policy.loyalty_money_enabled:
            _add(
                top,
                "fully_refund_as_loyalty_money",
                "loyalty_money_disabled",
                "Refunds as loyalty money are not available in this shop.",
            )
        elif not has_refund:
            _add(
                top,
                "fully_refund_as_loyalty_money",
                "loyalty_money_not_allowed",
                "Loyalty money refunds need at least one refund item.",
            )

    companies = {c.pk: c for c in snapshot.easy_return_shipping_companies}
    # One map for the whole request: looking each item up in ``Order.items`` would make a
    # bulk request quadratic in its number of items.
    order_items = {order_item.pk: order_item for order_item in snapshot.order.items}
    per_item = [
        _check_item(item, snapshot, order_items, reasons, companies, now=now)
        for item in command.items
    ]
    if not top and not any(per_item):
        return
    tree: dict[str, object] = dict(top)
    if command.bulk:
        if any(per_item):
            tree[ITEMS_FIELD] = per_item
    else:
        tree.update(per_item[0])
    raise InvalidRequest(tree)  # type: ignore[arg-type]  # built from the ErrorTree shapes


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
) -> _FieldErrors:
    errors: _FieldErrors = {}
    order_item = order_items.get(item.order_item)
    if order_item is None:
        _add(
            errors,
            "order_item",
            "order_item_not_in_order",
            "This item does not belong to the order.",
        )
        return errors
    if item.order_item in snapshot.active_requests:
        _add(errors, NON_FIELD_ERRORS, ActiveRequestExists.code, ActiveRequestExists.message)
        return errors
    ctx = _ItemContext(
        item=item,
        order_item=order_item,
        snapshot=snapshot,
        reasons=reasons,
        companies=companies,
        now=now,
    )
    for rule in _ITEM_RULES:
        rule(ctx, errors)
    return errors


def _rule_eligibility(ctx: _ItemContext, errors: _FieldErrors) -> None:
    eligibility = ctx.snapshot.eligibility[ctx.order_item.pk]
    if ctx.is_refund and not eligibility.can_refund:
        _add(errors, "cancellation_type", "item_not_refundable", "This item cannot be refunded.")
    elif not ctx.is_refund and not eligibility.can_cancel:
        _add(errors, "cancellation_type", "item_not_cancellable", "This item cannot be cancelled.")


def _rule_reason(ctx: _ItemContext, errors: _FieldErrors) -> None:
    reason = ctx.reasons.get(ctx.item.reason)
    if reason is None or not reason.is_active:
        _add(errors, "reason", "invalid_reason", "This cancellation reason is not available.")
    elif reason.cancellation_type is not ctx.item.cancellation_type:
        _add(
            errors,
            "reason",
            "reason_type_mismatch",
            "This reason is not for this cancellation type.",
        )
    elif reason.extra_information_needed and not (ctx.item.description or "").strip():
        _add(errors, "description", "description_required", "This reason needs a description.")


def _rule_shipping_company(ctx: _ItemContext, errors: _FieldErrors) -> None:
    company = ctx.item.shipping_company
    if not ctx.is_refund:
        if company is not None:
            _add(
                errors,
                "shipping_company",
                "shipping_company_not_allowed",
                "A shipping company can only be given for a refund.",
            )
    elif company is None:
        _add(
            errors,
            "shipping_company",
            "shipping_company_required",
            "A refund needs an easy-return shipping company.",
        )
    elif company not in ctx.companies:
        _add(
            errors,
            "shipping_company",
            "invalid_shipping_company",
            "This shipping company is not available for easy returns.",
        )


def _rule_quantity(ctx: _ItemContext, errors: _FieldErrors) -> None:
    if ctx.item.quantity is not None and ctx.item.quantity > ctx.order_item.quantity:
        _add(
            errors,
            "quantity",
            "quantity_exceeds_item",
            "The quantity cannot exceed the item's quantity.",
        )


def _rule_bank_account(ctx: _ItemContext, errors: _FieldErrors) -> None:
    """Refunds of cash-paid orders go to a bank account; nothing else takes one."""
    needed = ctx.is_refund and ctx.snapshot.order.payment_type.is_cash
    for field, value in (("iban", ctx.item.iban), ("holder_name", ctx.item.holder_name)):
        missing = value is None or (isinstance(value, str) and not value.strip())
        if needed and missing:
            _add(
                errors,
                field,
                f"{field}_required",
                "Refunds of cash-paid orders need a bank account.",
            )
        elif not needed and value is not None:
            _add(
                errors,
                field,
                f"{field}_not_allowed",
                "A bank account can only be given for refunds of cash-paid orders.",
            )


def _rule_pickup_date(ctx: _ItemContext, errors: _FieldErrors) -> None:
    pickup = ctx.item.pickup_date
    if pickup is None:
        return
    if not ctx.is_refund:
        _add(
            errors,
            "pickup_date",
            "pickup_date_not_allowed",
            "A pickup date can only be given for a refund.",
        )
    elif pickup.date < ctx.now.date():
        _add(errors, "pickup_date", "pickup_date_in_past", "The pickup date cannot be in the past.")


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


def _conflict_error(command: CancellationCommand, conflict: ActiveRequestExists) -> InvalidRequest:
    """A concurrent writer won the race: report it like the read-time check does."""
    detail = [ErrorDetail(ActiveRequestExists.code, ActiveRequestExists.message)]
    if not command.bulk:
        return InvalidRequest({NON_FIELD_ERRORS: detail})
    per_item: list[ErrorTree] = [
        {NON_FIELD_ERRORS: detail} if item.order_item in conflict.order_items else {}
        for item in command.items
    ]
    return InvalidRequest({ITEMS_FIELD: per_item})


def _easy_return_code() -> str:
    return "".join(secrets.choice(_EASY_RETURN_ALPHABET) for _ in range(10))


def _add(errors: _FieldErrors, field: str, code: str, message: str) -> None:
    errors.setdefault(field, []).append(ErrorDetail(code, message))
