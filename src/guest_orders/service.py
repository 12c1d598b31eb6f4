"""One object that wires parsing, the use cases and rendering together, sync or async.

A web adapter holds one :class:`GuestOrders` (sync storage, WSGI hosts) or one
:class:`AsyncGuestOrders` (async storage, ASGI hosts) and calls one method per endpoint
with the body it received; it gets JSON-ready data back, or a
:class:`guest_orders.GuestOrderError` it renders with :func:`guest_orders.render_error`.

Both run the same steps (:mod:`guest_orders.use_cases._steps`): parsing, every rule and
rendering exist once; only the I/O differs. Every method takes the guest's ``locale`` (an
HTTP adapter gets it from :func:`guest_orders.i18n.negotiate_locale`): the messages of a
raised error and the reasons' subjects are in it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from guest_orders.clocks import SystemClock
from guest_orders.domain import CancellationCommand
from guest_orders.errors import GuestOrderError, InvalidRequest
from guest_orders.i18n import resolve_locale
from guest_orders.policy import Policy
from guest_orders.ports import (
    AsyncAttemptLimiter,
    AsyncUnitOfWork,
    AttemptLimiter,
    Clock,
    UnitOfWork,
)
from guest_orders.throttling import AsyncInMemoryAttemptLimiter, InMemoryAttemptLimiter
from guest_orders.use_cases._steps import Steps, run, run_async
from guest_orders.use_cases.cancel import cancellation_steps, idempotency_key_violations
from guest_orders.use_cases.lookup import lookup_steps
from guest_orders.use_cases.reasons import reasons_steps
from guest_orders.wire import (
    parse_bulk_cancellation,
    parse_cancellation,
    parse_lookup,
    render_cancellation_request,
    render_lookup,
    render_reasons,
)
from guest_orders.wire.errors import with_violations

__all__ = ["AsyncGuestOrders", "GuestOrders"]

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class _Operations:
    """The operations as steps: parse, run the use case, render."""

    clock: Clock = attrs.field(factory=SystemClock)
    policy: Policy = attrs.field(factory=Policy)

    def _lookup(
        self, payload: Mapping[str, Any], *, form: bool, client: str | None, locale: str | None
    ) -> Steps[list[dict[str, Any]]]:
        return _errors_in(self._lookup_steps(payload, form=form, client=client), locale)

    def _lookup_steps(
        self, payload: Mapping[str, Any], *, form: bool, client: str | None
    ) -> Steps[list[dict[str, Any]]]:
        query = parse_lookup(payload, policy=self.policy, form=form)
        snapshot = yield from lookup_steps(
            query, clock=self.clock, policy=self.policy, client=client
        )
        return render_lookup(snapshot)

    def _cancellation(
        self,
        payload: Mapping[str, Any],
        *,
        bulk: bool,
        form: bool,
        client: str | None,
        idempotency_key: str | None,
        locale: str | None,
    ) -> Steps[Any]:
        return _errors_in(
            self._cancellation_steps(
                payload, bulk=bulk, form=form, client=client, idempotency_key=idempotency_key
            ),
            locale,
        )

    def _cancellation_steps(
        self,
        payload: Mapping[str, Any],
        *,
        bulk: bool,
        form: bool,
        client: str | None,
        idempotency_key: str | None,
    ) -> Steps[Any]:
        parse = parse_bulk_cancellation if bulk else parse_cancellation
        command = _parse_with_key(
            parse, payload, policy=self.policy, form=form, key=idempotency_key
        )
        created = yield from cancellation_steps(
            command,
            clock=self.clock,
            policy=self.policy,
            client=client,
            idempotency_key=idempotency_key,
        )
        rendered = [render_cancellation_request(request) for request in created]
        return rendered if bulk else rendered[0]

    def _reasons(self, locale: str | None) -> Steps[dict[str, Any]]:
        reasons = yield from _errors_in(reasons_steps(), locale)
        return render_reasons(reasons, locale=locale)


@attrs.frozen(kw_only=True)
class GuestOrders(_Operations):
    """The three guest operations over a host's storage.

    Args:
        store: the host's unit of work (for example :class:`InMemoryStore`).
        clock: where time comes from.
        policy: the shop's rules.
        limiter: counts failed ownership checks (see :mod:`guest_orders.throttling`);
            by default an in-process limiter on ``clock`` with :class:`AttemptLimits`.
    """

    store: UnitOfWork
    limiter: AttemptLimiter = attrs.field(
        default=attrs.Factory(lambda self: InMemoryAttemptLimiter(self.clock), takes_self=True)
    )

    def _run(self, steps: Steps[Any]) -> Any:
        return run(steps, uow=self.store, limiter=self.limiter)

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
        result: list[dict[str, Any]] = self._run(
            self._lookup(payload, form=form, client=client, locale=locale)
        )
        return result

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
        result: dict[str, Any] = self._run(
            self._cancellation(
                payload,
                bulk=False,
                form=form,
                client=client,
                idempotency_key=idempotency_key,
                locale=locale,
            )
        )
        return result

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
        result: list[dict[str, Any]] = self._run(
            self._cancellation(
                payload,
                bulk=True,
                form=form,
                client=client,
                idempotency_key=idempotency_key,
                locale=locale,
            )
        )
        return result

    def cancellation_reasons(self, *, locale: str | None = None) -> dict[str, Any]:
        """``GET /users/orders/cancellation_reasons/``: active reasons, paginated shape.

        Each ``subject`` in ``locale`` when the reason has a translation for it, else as
        written (see :func:`guest_orders.wire.render_reasons`).
        """
        result: dict[str, Any] = self._run(self._reasons(locale))
        return result


@attrs.frozen(kw_only=True)
class AsyncGuestOrders(_Operations):
    """:class:`GuestOrders` over async storage: the same operations as coroutines, run on
    the event loop (no thread), with the same parsing, rules and rendering.

    Args:
        store: the host's async unit of work (for example :class:`AsyncInMemoryStore` or
            :class:`~guest_orders.adapters.sqlalchemy.asyncio.AsyncSqlAlchemyStore`).
        clock: where time comes from.
        policy: the shop's rules.
        limiter: an :class:`~guest_orders.ports.AsyncAttemptLimiter`; by default an
            in-process limiter on ``clock`` with :class:`AttemptLimits`.
    """

    store: AsyncUnitOfWork
    limiter: AsyncAttemptLimiter = attrs.field(
        default=attrs.Factory(lambda self: AsyncInMemoryAttemptLimiter(self.clock), takes_self=True)
    )

    async def _run(self, steps: Steps[Any]) -> Any:
        return await run_async(steps, uow=self.store, limiter=self.limiter)

    async def lookup(
        self,
        payload: Mapping[str, Any],
        *,
        form: bool = False,
        client: str | None = None,
        locale: str | None = None,
    ) -> list[dict[str, Any]]:
        """:meth:`GuestOrders.lookup`, awaited."""
        result: list[dict[str, Any]] = await self._run(
            self._lookup(payload, form=form, client=client, locale=locale)
        )
        return result

    async def request_cancellation(
        self,
        payload: Mapping[str, Any],
        *,
        form: bool = False,
        client: str | None = None,
        idempotency_key: str | None = None,
        locale: str | None = None,
    ) -> dict[str, Any]:
        """:meth:`GuestOrders.request_cancellation`, awaited."""
        result: dict[str, Any] = await self._run(
            self._cancellation(
                payload,
                bulk=False,
                form=form,
                client=client,
                idempotency_key=idempotency_key,
                locale=locale,
            )
        )
        return result

    async def request_bulk_cancellation(
        self,
        payload: Mapping[str, Any],
        *,
        form: bool = False,
        client: str | None = None,
        idempotency_key: str | None = None,
        locale: str | None = None,
    ) -> list[dict[str, Any]]:
        """:meth:`GuestOrders.request_bulk_cancellation`, awaited."""
        result: list[dict[str, Any]] = await self._run(
            self._cancellation(
                payload,
                bulk=True,
                form=form,
                client=client,
                idempotency_key=idempotency_key,
                locale=locale,
            )
        )
        return result

    async def cancellation_reasons(self, *, locale: str | None = None) -> dict[str, Any]:
        """:meth:`GuestOrders.cancellation_reasons`, awaited."""
        result: dict[str, Any] = await self._run(self._reasons(locale))
        return result


def _errors_in(steps: Steps[T], locale: str | None) -> Steps[T]:
    """Give a :class:`GuestOrderError` raised by ``steps`` the ``locale`` it is rendered
    in."""
    try:
        return (yield from steps)
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
