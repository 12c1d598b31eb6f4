"""One object that wires parsing, the use cases and rendering together.

A web adapter holds one :class:`GuestOrders` and calls one method per endpoint with the
body it received; it gets JSON-ready data back, or a :class:`guest_orders.GuestOrderError`
it renders with :func:`guest_orders.render_error`. Every method takes the guest's
``locale`` (an HTTP adapter gets it from :func:`guest_orders.i18n.negotiate_locale`): the
messages of a raised error and the reasons' subjects are in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import attrs

from guest_orders.clocks import SystemClock
from guest_orders.domain import CancellationCommand, CancellationRequest
from guest_orders.errors import GuestOrderError, InvalidRequest
from guest_orders.i18n import resolve_locale
from guest_orders.policy import Policy
from guest_orders.ports import AttemptLimiter, Clock, UnitOfWork
from guest_orders.throttling import InMemoryAttemptLimiter
from guest_orders.use_cases import (
    list_cancellation_reasons,
    lookup_order,
    request_cancellation,
)
from guest_orders.use_cases.cancel import idempotency_key_violations
from guest_orders.wire import (
    parse_bulk_cancellation,
    parse_cancellation,
    parse_lookup,
    render_cancellation_request,
    render_lookup,
    render_reasons,
)
from guest_orders.wire.errors import with_violations

__all__ = ["GuestOrders"]


@attrs.frozen(kw_only=True)
class GuestOrders:
    """The three guest operations over a host's storage.

    Args:
        store: the host's unit of work (for example :class:`InMemoryStore`).
        clock: where time comes from.
        policy: the shop's rules.
        limiter: counts failed ownership checks (see :mod:`guest_orders.throttling`);
            by default an in-process limiter on ``clock`` with :class:`AttemptLimits`.
    """

    store: UnitOfWork
    clock: Clock = attrs.field(factory=SystemClock)
    policy: Policy = attrs.field(factory=Policy)
    limiter: AttemptLimiter = attrs.field(
        default=attrs.Factory(lambda self: InMemoryAttemptLimiter(self.clock), takes_self=True)
    )

    def lookup(
        self,
        payload: Mapping[str, Any],
        *,
        form: bool = False,
        client: str | None = None,
        locale: str | None = None,
    ) -> list[dict[str, Any]]:
        """``POST /users/orders/anonymous/``: the one-order list.

        ``form``: the payload came from form fields (strings); ``client``: a key for the
        caller (the web adapter passes the client address) that failed attempts count
        against; ``locale``: the guest's language, for the messages of an error raised
        (English by default).
        """
        with _errors_in(locale):
            query = parse_lookup(payload, policy=self.policy, form=form)
            snapshot = lookup_order(
                query,
                uow=self.store,
                clock=self.clock,
                policy=self.policy,
                limiter=self.limiter,
                client=client,
            )
        return render_lookup(snapshot)

    def request_cancellation(
        self,
        payload: Mapping[str, Any],
        *,
        form: bool = False,
        client: str | None = None,
        idempotency_key: str | None = None,
        locale: str | None = None,
    ) -> dict[str, Any]:
        """``POST /users/orders/anonymous/cancellation_requests/``: the created request.

        ``idempotency_key`` (the ``Idempotency-Key`` header): a retry with the same key and
        the same payload answers the first response again and creates nothing; see
        :func:`guest_orders.use_cases.request_cancellation`. ``locale`` as for
        :meth:`lookup`.
        """
        with _errors_in(locale):
            command = _parse_with_key(
                parse_cancellation, payload, policy=self.policy, form=form, key=idempotency_key
            )
            (created,) = self._run(command, client, idempotency_key)
        return render_cancellation_request(created)

    def request_bulk_cancellation(
        self,
        payload: Mapping[str, Any],
        *,
        form: bool = False,
        client: str | None = None,
        idempotency_key: str | None = None,
        locale: str | None = None,
    ) -> list[dict[str, Any]]:
        """``POST /users/orders/anonymous/bulk_cancellation_requests/``: the created
        requests. ``idempotency_key`` as for :meth:`request_cancellation`, ``locale`` as
        for :meth:`lookup`."""
        with _errors_in(locale):
            command = _parse_with_key(
                parse_bulk_cancellation,
                payload,
                policy=self.policy,
                form=form,
                key=idempotency_key,
            )
            created = self._run(command, client, idempotency_key)
        return [render_cancellation_request(request) for request in created]

    def _run(
        self, command: CancellationCommand, client: str | None, idempotency_key: str | None
    ) -> list[CancellationRequest]:
        return request_cancellation(
            command,
            uow=self.store,
            clock=self.clock,
            policy=self.policy,
            limiter=self.limiter,
            client=client,
            idempotency_key=idempotency_key,
        )

    def cancellation_reasons(self, *, locale: str | None = None) -> dict[str, Any]:
        """``GET /users/orders/cancellation_reasons/``: active reasons, paginated shape.

        Each ``subject`` in ``locale`` when the reason has a translation for it, else as
        written (see :func:`guest_orders.wire.render_reasons`).
        """
        with _errors_in(locale):
            reasons = list_cancellation_reasons(uow=self.store)
        return render_reasons(reasons, locale=locale)


@contextmanager
def _errors_in(locale: str | None) -> Iterator[None]:
    """Give a :class:`GuestOrderError` raised inside the ``locale`` it is rendered in."""
    try:
        yield
    except GuestOrderError as error:
        if locale is not None:
            error.locale = resolve_locale(locale)
        raise


def _parse_with_key(
    parse: Callable[..., CancellationCommand],
    payload: Mapping[str, Any],
    *,
    policy: Policy,
    form: bool,
    key: str | None,
) -> CancellationCommand:
    """Parse the payload. When it is invalid, one :class:`InvalidRequest` names its
    problems and the idempotency key's (under ``non_field_errors``); a valid payload's key
    is checked by the use case, so each request's key is checked once."""
    try:
        return parse(payload, policy=policy, form=form)
    except InvalidRequest as invalid:
        problems = idempotency_key_violations(key)
        if not problems:
            raise
        raise with_violations(invalid, problems) from None
