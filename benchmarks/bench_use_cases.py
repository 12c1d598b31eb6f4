"""Figure 3: the use cases end to end on the in-memory adapters.

Lookup, a single cancellation and bulk cancellations of N = 1, 10, 100, 1000 items: the
per-item cost must stay flat, and the number of repository calls per request must not
grow with N (counted by wrapping every repository).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import attrs
import pydantic

from bench_serialization import POrder, _typed_values
from fixtures import (
    BULK_POLICY,
    CLOCK,
    COMPANIES,
    REASONS,
    bulk_payload,
    lookup_snapshot,
    make_order,
    single_payload,
)
from guest_orders import AsyncGuestOrders, AsyncInMemoryStore, AsyncNoAttemptLimiter, Policy
from guest_orders.adapters.memory import InMemoryCancellationRequestRepository, InMemoryStore
from guest_orders.domain import LookupQuery, Order
from guest_orders.use_cases import lookup_order, request_cancellation
from guest_orders.wire import parse_bulk_cancellation, parse_cancellation, parse_lookup
from harness import Report, at_most, compare, ms, us

SIZES = (1, 10, 100, 1000)
T = TypeVar("T")


class FreshRequestsStore:
    """An ``InMemoryStore`` whose every transaction starts with no cancellation request
    stored, so the same cancellation can be timed again and again. Everything else is the
    store's own: its repositories, its transaction."""

    def __init__(self, orders: list[Order]) -> None:
        self._store = InMemoryStore(orders=orders, reasons=REASONS, shipping_companies=COMPANIES)
        self._base = self._store.repositories

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Any]:
        self._store.repositories = attrs.evolve(
            self._base, cancellation_requests=InMemoryCancellationRequestRepository()
        )
        with self._store.transaction(read_only=read_only) as repos:
            yield repos


class _CountingRepository:
    """Forwards to a repository, counting each method call as ``"repo.method"``."""

    def __init__(self, name: str, inner: Any, calls: Counter[str]) -> None:
        self._name = name
        self._inner = inner
        self._calls = calls

    def __getattr__(self, attribute: str) -> Any:
        method = getattr(self._inner, attribute)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls[f"{self._name}.{attribute}"] += 1
            return method(*args, **kwargs)

        return counted


class _CountingRepositories:
    """The repositories of one transaction, each wrapped in a :class:`_CountingRepository`."""

    def __init__(self, inner: Any, calls: Counter[str]) -> None:
        self._inner = inner
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        return _CountingRepository(name, getattr(self._inner, name), self._calls)


class CountingStore:
    """Wraps a unit of work; counts transactions and every repository call."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Any]:
        self.calls["transaction"] += 1
        with self._inner.transaction(read_only=read_only) as repos:
            yield _CountingRepositories(repos, self.calls)


def repository_calls(store: Any, run: Any) -> int:
    """Repository calls (transactions excluded) one ``run(uow)`` makes."""
    counting = CountingStore(store)
    run(counting)
    return sum(n for name, n in counting.calls.items() if name != "transaction")


def run(report: Report) -> None:
    section = "3. use cases (in-memory)"
    print(f"\n{section}", flush=True)
    small = make_order()
    # One order per size, cancelled whole: the order grows with the request, as it does
    # when a guest cancels everything they bought.
    bulk_orders = {
        size: make_order(
            pk=100 + size, number=f"27454031{size:08d}", items=size, cancellable_only=True
        )
        for size in SIZES
    }
    store = FreshRequestsStore([small, *bulk_orders.values()])
    kwargs: dict[str, Any] = {"clock": CLOCK, "policy": BULK_POLICY}

    query = parse_lookup({"number": small.number, "email": small.user_email})
    single = parse_cancellation(single_payload(small))
    lookup_calls = repository_calls(store, lambda uow: lookup_order(query, uow=uow, **kwargs))
    single_calls = repository_calls(
        store, lambda uow: request_cancellation(single, uow=uow, **kwargs)
    )
    timing = compare(
        {
            "lookup": lambda: lookup_order(query, uow=store, **kwargs),
            "single": lambda: request_cancellation(single, uow=store, **kwargs),
        }
    )
    report.add(
        section,
        "lookup_order (3 items)",
        f"{us(timing.per_call['lookup'])}, {lookup_calls} repository calls",
    )
    report.add(
        section,
        "request_cancellation, single item",
        f"{us(timing.per_call['single'])}, {single_calls} repository calls",
    )

    calls: dict[int, int] = {}
    contenders = {}
    for size in SIZES:
        command = parse_bulk_cancellation(bulk_payload(bulk_orders[size], size), policy=BULK_POLICY)
        calls[size] = repository_calls(
            store, lambda uow, command=command: request_cancellation(command, uow=uow, **kwargs)
        )
        contenders[str(size)] = lambda command=command: request_cancellation(
            command, uow=store, **kwargs
        )
    # All sizes interleaved, so the 1000-vs-100 ratio is taken per round.
    timing = compare(contenders, batch_seconds=0.05)
    for size in SIZES:
        seconds = timing.per_call[str(size)]
        report.add(
            section,
            f"request_cancellation, bulk of {size}",
            f"{ms(seconds)} ({us(seconds / size)} per item), {calls[size]} repository calls",
        )
    growth = timing.ratio("1000", "100")
    report.add(
        section,
        "bulk cancellation: 1000 items vs 100 items",
        f"{growth:.2f}×",
        "≤ 11× (flat per-item cost)",
        value=growth,
        check=at_most(11),
    )
    _async_service_vs_pydantic(report, section)
    constant = len(set(calls.values())) == 1
    report.add(
        section,
        "repository calls per bulk request, N = 1…1000",
        " / ".join(str(calls[size]) for size in SIZES),
        "constant in N",
        met=constant,
    )


class _LookupIn(pydantic.BaseModel):
    """The lookup request as a pydantic user validates it."""

    number: Annotated[str, pydantic.Field(min_length=1, max_length=64)]
    email: pydantic.EmailStr


def _awaited(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (the in-memory store's) to its result: what it
    costs on the event loop, without the loop's own scheduling (which any async endpoint,
    pydantic's included, pays alike)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("the coroutine suspended")


def _async_service_vs_pydantic(report: Report, section: str) -> None:
    """``AsyncGuestOrders.lookup`` on the in-memory store, against the same request
    validated by a pydantic model (``EmailStr``), run through the same use case and
    rendered by pydantic models (``model_dump(mode="json")``)."""
    snapshot = lookup_snapshot()
    order = snapshot.order
    store = InMemoryStore(
        orders=[order],
        reasons=REASONS,
        shipping_companies=COMPANIES,
        cancellation_requests=list(snapshot.active_requests.values()),
    )
    payload = {"number": order.number, "email": order.user_email}
    service = AsyncGuestOrders(
        store=AsyncInMemoryStore.over(store), clock=CLOCK, limiter=AsyncNoAttemptLimiter()
    )

    def pydantic_lookup() -> object:
        body = _LookupIn.model_validate(payload)
        found = lookup_order(
            LookupQuery(number=body.number, email=body.email),
            uow=store,
            clock=CLOCK,
            policy=Policy(),
        )
        return [POrder.model_validate(_typed_values(found)).model_dump(mode="json")]

    library = _awaited(service.lookup(payload))
    assert library[0]["number"] == pydantic_lookup()[0]["number"]  # type: ignore[index]
    timing = compare(
        {"library": lambda: _awaited(service.lookup(payload)), "pydantic": pydantic_lookup}
    )
    ratio = timing.ratio("library", "pydantic")
    report.add(
        section,
        "AsyncGuestOrders.lookup (in-memory) vs pydantic v2 validate + use case + render",
        f"{ratio:.2f}× pydantic's time ({us(timing.per_call['library'])} vs "
        f"{us(timing.per_call['pydantic'])})",
        "≤ 1×",
        value=ratio,
        check=at_most(1.0),
    )
