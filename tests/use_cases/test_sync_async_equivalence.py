"""Sync and async make the same decisions: on the same inputs, the sync use cases over
``InMemoryStore`` and the async ones over ``AsyncInMemoryStore`` give the same results
(or the same errors) and make the same port calls, with the same arguments, in the same
order — transactions, limiter and every repository included."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from functools import partial
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from guest_orders import (
    AsyncGuestOrders,
    AsyncInMemoryAttemptLimiter,
    AsyncInMemoryStore,
    AttemptLimits,
    CancellationRequest,
    CancellationRequested,
    FixedClock,
    GuestOrderError,
    GuestOrders,
    InMemoryAttemptLimiter,
    InMemoryStore,
    OrderSnapshot,
    Policy,
    async_list_cancellation_reasons,
    async_lookup_order,
    async_request_cancellation,
    list_cancellation_reasons,
    lookup_order,
    request_cancellation,
)
from guest_orders.errors import InvalidRequest, TooManyAttempts
from guest_orders.testing import Seed
from guest_orders.testing import strategies as gst

_NIL = uuid.UUID(int=0)
_PORTS = (
    "orders",
    "cancellation_requests",
    "reasons",
    "shipping_companies",
    "addresses",
    "images",
    "idempotency",
    "outbox",
)
Log = list[tuple[Any, ...]]


def _normal(value: Any) -> Any:
    """What differs between two runs by design (uuids, easy-return codes) blanked out."""
    if isinstance(value, CancellationRequest):
        easy = value.easy_return
        return attrs.evolve(
            value,
            uuid=_NIL,
            easy_return=attrs.evolve(easy, code="") if easy is not None else None,
        )
    if isinstance(value, CancellationRequested):
        return attrs.evolve(value, event_id=_NIL, request_uuid=_NIL)
    if isinstance(value, OrderSnapshot):
        return attrs.evolve(value, active_requests=_normal(dict(value.active_requests)))
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    return value


def _outcome(call: Callable[[], Any]) -> Any:
    try:
        return ("ok", _normal(call()))
    except GuestOrderError as error:
        return ("error", _error(error))


def _error(error: GuestOrderError) -> tuple[Any, ...]:
    errors = error.errors if isinstance(error, InvalidRequest) else None
    wait = error.retry_after if isinstance(error, TooManyAttempts) else None
    return (type(error).__name__, error.code, errors, wait)


class _Recorded:
    def __init__(self, port: object, name: str, log: Log, *, is_async: bool) -> None:
        self._port, self._name, self._log, self._async = port, name, log, is_async

    def __getattr__(self, method: str) -> Callable[..., Any]:
        call = getattr(self._port, method)
        log, name = self._log, self._name

        def record(args: tuple[Any, ...]) -> None:
            log.append((name, method, _normal(list(args))))

        def fail(error: BaseException) -> None:
            log.append((name, method, "raised", type(error).__name__))

        if self._async:

            async def awaited(*args: Any) -> Any:
                record(args)
                try:
                    return await call(*args)
                except BaseException as error:
                    fail(error)
                    raise

            return awaited

        def called(*args: Any) -> Any:
            record(args)
            try:
                return call(*args)
            except BaseException as error:
                fail(error)
                raise

        return called


class _Repos:
    def __init__(self, repos: object, log: Log, *, is_async: bool) -> None:
        for name in _PORTS:
            setattr(self, name, _Recorded(getattr(repos, name), name, log, is_async=is_async))


class _SyncStore:
    def __init__(self, store: InMemoryStore, log: Log) -> None:
        self.store, self.log = store, log

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Any]:
        self.log.append(("begin", read_only))
        try:
            with self.store.transaction(read_only=read_only) as repos:
                yield _Repos(repos, self.log, is_async=False)
        except BaseException as error:
            self.log.append(("rollback", type(error).__name__))
            raise
        self.log.append(("commit",))


class _AsyncStore:
    def __init__(self, store: AsyncInMemoryStore, log: Log) -> None:
        self.store, self.log = store, log

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[Any]:
        self.log.append(("begin", read_only))
        try:
            async with self.store.transaction(read_only=read_only) as repos:
                yield _Repos(repos, self.log, is_async=True)
        except BaseException as error:
            self.log.append(("rollback", type(error).__name__))
            raise
        self.log.append(("commit",))


class _Twins:
    """The same seed behind a sync and an async store, each with its log of port calls."""

    def __init__(self, seed: Seed, policy: Policy) -> None:
        self.seed, self.policy = seed, policy
        self.clock = FixedClock(gst.DEFAULT_NOW)
        self.sync_log: Log = []
        self.async_log: Log = []
        limits = AttemptLimits(max_failures=2, window=timedelta(minutes=5))
        self.sync_store = _SyncStore(self.seed.in_memory_store(), self.sync_log)
        self.async_store = _AsyncStore(
            AsyncInMemoryStore.over(self.seed.in_memory_store()), self.async_log
        )
        self.sync_limiter = _Recorded(
            InMemoryAttemptLimiter(self.clock, limits), "limiter", self.sync_log, is_async=False
        )
        self.async_limiter = _Recorded(
            AsyncInMemoryAttemptLimiter(self.clock, limits),
            "limiter",
            self.async_log,
            is_async=True,
        )
        self.loop = asyncio.new_event_loop()

    def agree(self, sync: Callable[[], Any], make_async: Callable[[], Any]) -> None:
        expected = _outcome(sync)
        actual = _outcome(lambda: self.loop.run_until_complete(make_async()))
        assert actual == expected
        assert self.async_log == self.sync_log


_CLIENTS = st.sampled_from([None, "203.0.113.7", "198.51.100.2"])
_KEYS = st.sampled_from([None, None, "retry-1", "retry-2", "bad key\x00"])


@given(seed=gst.seeds(), policy=gst.policies(), data=st.data())
def test_use_cases_sync_and_async_agree_call_for_call(
    seed: Seed, policy: Policy, data: st.DataObject
) -> None:
    twins = _Twins(seed, policy)
    try:
        for _ in range(data.draw(st.integers(1, 8), label="steps")):
            kind = data.draw(st.sampled_from(["lookup", "cancel", "bulk", "reasons", "time"]))
            client = data.draw(_CLIENTS)
            if kind == "lookup":
                query = data.draw(gst.lookup_queries(seed, policy=policy))
                common: dict[str, Any] = {"clock": twins.clock, "policy": policy, "client": client}
                twins.agree(
                    partial(
                        lookup_order,
                        query,
                        uow=twins.sync_store,
                        limiter=twins.sync_limiter,
                        **common,
                    ),
                    partial(
                        async_lookup_order,
                        query,
                        uow=twins.async_store,
                        limiter=twins.async_limiter,
                        **common,
                    ),
                )
            elif kind in {"cancel", "bulk"}:
                command = data.draw(
                    gst.cancellation_commands(
                        seed, bulk=kind == "bulk", policy=policy, now=twins.clock.now()
                    )
                )
                common = {
                    "clock": twins.clock,
                    "policy": policy,
                    "client": client,
                    "idempotency_key": data.draw(_KEYS),
                }
                twins.agree(
                    partial(
                        request_cancellation,
                        command,
                        uow=twins.sync_store,
                        limiter=twins.sync_limiter,
                        **common,
                    ),
                    partial(
                        async_request_cancellation,
                        command,
                        uow=twins.async_store,
                        limiter=twins.async_limiter,
                        **common,
                    ),
                )
            elif kind == "reasons":
                twins.agree(
                    lambda: list_cancellation_reasons(uow=twins.sync_store),
                    lambda: async_list_cancellation_reasons(uow=twins.async_store),
                )
            else:
                twins.clock.advance(timedelta(minutes=data.draw(st.integers(1, 10))))
    finally:
        twins.loop.close()


_PAYLOADS = st.one_of(
    st.fixed_dictionaries({"number": gst.order_numbers(), "email": gst.emails()}),
    st.dictionaries(st.sampled_from(["number", "email", "x"]), st.text(max_size=8) | st.none()),
)


@given(seed=gst.seeds(), data=st.data())
def test_services_sync_and_async_answer_alike(seed: Seed, data: st.DataObject) -> None:
    """The services too: parsing, the use case and rendering, on raw payloads."""
    twins = _Twins(seed, Policy())
    sync = GuestOrders(store=twins.sync_store, clock=twins.clock, limiter=twins.sync_limiter)
    service = AsyncGuestOrders(
        store=twins.async_store, clock=twins.clock, limiter=twins.async_limiter
    )
    try:
        order = data.draw(st.sampled_from(seed.orders))
        payloads = [
            {"number": order.number, "email": order.user_email},
            *data.draw(st.lists(_PAYLOADS, max_size=4)),
        ]
        for payload in payloads:
            twins.agree(partial(sync.lookup, payload), partial(service.lookup, payload))
        twins.agree(sync.cancellation_reasons, service.cancellation_reasons)
        bodies = data.draw(
            st.lists(st.dictionaries(st.text(max_size=6), st.integers()), max_size=2)
        )
        for body in bodies:
            twins.agree(
                partial(sync.request_cancellation, body, idempotency_key="k"),
                partial(service.request_cancellation, body, idempotency_key="k"),
            )
    finally:
        twins.loop.close()
