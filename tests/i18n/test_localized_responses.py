"""A guest who asks in Turkish gets Turkish messages and reason subjects, with the same
codes, statuses and data as in English, on every endpoint and every error of every web
adapter the library ships (the Starlette app, the FastAPI router over an async and a sync
service); the service does the same with an explicit ``locale``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from guest_orders import (
    AsyncGuestOrders,
    AsyncInMemoryStore,
    CancellationReason,
    CancellationType,
    GuestOrderError,
    GuestOrders,
    render_error,
)
from guest_orders.adapters.fastapi import guest_orders_router
from guest_orders.adapters.web import create_app
from guest_orders.i18n import translate
from guest_orders.messages import KINDS, MESSAGES
from guest_orders.throttling import AsyncNoAttemptLimiter
from guest_orders.wire import render_reasons
from web._web_support import (
    BULK,
    CANCEL,
    CANCELLABLE,
    CASH,
    LOOKUP,
    REASONS,
    WITH_ACTIVE_REQUEST,
    AppClient,
    FixedRetryLimiter,
    make_service,
    sample_store,
)

TURKISH = {"Accept-Language": "tr-TR,tr;q=0.9,en-US;q=0.8,en;q=0.7"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}

_FIELD = re.compile(r"\{(\w+)\}")


def turkish_of(english: str) -> str:
    """The Turkish a message written in English should have: its template found among
    the messages, its values taken from the English text and put in the Turkish one."""
    for template in MESSAGES.values():
        names = _FIELD.findall(template)
        pattern = re.escape(template)
        for name in names:
            pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>.+?)", 1)
        match = re.fullmatch(pattern, english)
        if match is None:
            continue
        values = match.groupdict()
        if "kind" in values:
            values["kind"] = translate(values["kind"], "tr")
        return translate(template, "tr").format(**values)
    raise AssertionError(f"no message template writes {english!r}")


def messages_of(body: Any) -> Iterator[str]:
    """Every message of an error body (the ``code``/``codes`` parts left out)."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key not in {"code", "codes"}:
                yield from messages_of(value)
    elif isinstance(body, list):
        for element in body:
            yield from messages_of(element)
    elif isinstance(body, str):
        yield body


def assert_same_but_the_words(english: dict[str, Any], turkish: dict[str, Any]) -> None:
    """Two renderings of one error: the same code, codes and shape; every message in
    Turkish where the English has it in English."""
    assert turkish["code"] == english["code"]
    assert turkish["codes"] == english["codes"]
    pairs = list(zip(messages_of(english), messages_of(turkish), strict=True))
    assert pairs
    for english_text, turkish_text in pairs:
        assert turkish_text == turkish_of(english_text)
        assert turkish_text != english_text


def ask_both(send: Callable[[dict[str, str]], Any]) -> tuple[Any, Any]:
    english, turkish = send(ENGLISH), send(TURKISH)
    assert turkish.status_code == english.status_code
    assert english.headers["content-language"] == "en"
    assert turkish.headers["content-language"] == "tr"
    assert "accept-language" in turkish.headers["vary"].lower()
    return english, turkish


class _Client(Protocol):
    # Any: FastAPI's test client answers with its own httpx-like response class.
    def request(self, method: str, path: str, **kwargs: Any) -> Any: ...


def _starlette() -> _Client:
    return AppClient(create_app(make_service()))


def _fastapi(*, sync: bool) -> _Client:
    service: GuestOrders | AsyncGuestOrders = (
        make_service()
        if sync
        else AsyncGuestOrders(
            store=AsyncInMemoryStore.over(sample_store()), limiter=AsyncNoAttemptLimiter()
        )
    )
    app = FastAPI()
    app.include_router(guest_orders_router(service))
    return _TestClient(TestClient(app, raise_server_exceptions=True))


class _TestClient:
    def __init__(self, client: TestClient) -> None:
        self._client = client

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._client.request(method, path, **kwargs)


#: Every web adapter the library ships, each over a fresh sample store.
ADAPTERS: dict[str, Callable[[], _Client]] = {
    "starlette": _starlette,
    "fastapi-async": lambda: _fastapi(sync=False),
    "fastapi-sync": lambda: _fastapi(sync=True),
}

adapters = pytest.mark.parametrize("adapter", sorted(ADAPTERS))


ITEM = {"order_item": 1001, "reason": 1, "cancellation_type": "cancel"}

#: One failing request per endpoint and per kind of error, each sent to a fresh app.
FAILURES: dict[str, tuple[str, dict[str, Any]]] = {
    "lookup: a miss": (LOOKUP, {"json": {**CANCELLABLE, "email": "eve@example.com"}}),
    "lookup: every field bad": (LOOKUP, {"json": {"number": 12, "email": "x" * 300}}),
    "lookup: not an object": (LOOKUP, {"json": [1]}),
    "cancel: fields bad": (
        CANCEL,
        {"json": {**CANCELLABLE, "order_item": "1", "cancellation_type": "x", "quantity": 0}},
    ),
    "cancel: a rule broken": (
        CANCEL,
        {"json": {**CASH, "order_item": 3001, "reason": 3, "cancellation_type": "refund"}},
    ),
    "cancel: active request": (
        CANCEL,
        {"json": {**WITH_ACTIVE_REQUEST, **ITEM, "order_item": 4001}},
    ),
    "cancel: bad idempotency key": (
        CANCEL,
        {"json": {**CANCELLABLE, **ITEM}, "headers": {"Idempotency-Key": "a b"}},
    ),
    "bulk: items bad": (
        BULK,
        {"json": {**CANCELLABLE, "cancel_order_items": [ITEM, {**ITEM, "quantity": True}]}},
    ),
    "bulk: empty": (BULK, {"json": {**CANCELLABLE, "cancel_order_items": []}}),
    "bulk: form": (BULK, {"data": CANCELLABLE}),
    "transport: malformed JSON": (
        LOOKUP,
        {"content": b"{", "headers": {"Content-Type": "application/json"}},
    ),
    "transport: media type": (
        LOOKUP,
        {"content": b"x", "headers": {"Content-Type": "text/plain"}},
    ),
    "transport: file upload": (LOOKUP, {"files": {"number": ("a.txt", b"1")}}),
    "transport: not found": ("/users/orders/nowhere/", {}),
}

#: Failures of routing, which only the library's own app answers: under a router, the
#: host's app does (FastAPI's own 404 and 405).
HOST_ROUTING = {"transport: not found"}


@pytest.mark.parametrize(
    ("adapter", "name"),
    [
        (adapter, name)
        for adapter in sorted(ADAPTERS)
        for name in sorted(FAILURES)
        if adapter == "starlette" or name not in HOST_ROUTING
    ],
)
def test_an_error_in_turkish_keeps_its_code_and_status(adapter: str, name: str) -> None:
    fresh = ADAPTERS[adapter]
    path, options = FAILURES[name]
    headers = options.get("headers", {})
    rest = {key: value for key, value in options.items() if key != "headers"}

    def send(language: dict[str, str]) -> Any:
        method = "GET" if path.endswith("nowhere/") else "POST"
        return fresh().request(method, path, headers={**headers, **language}, **rest)

    english, turkish = ask_both(send)
    assert 400 <= english.status_code < 500
    assert_same_but_the_words(english.json(), turkish.json())


def test_the_failures_cover_every_endpoint() -> None:
    assert {path for path, _ in FAILURES.values()} >= {LOOKUP, CANCEL, BULK}


def test_method_not_allowed_in_turkish() -> None:
    fresh = ADAPTERS["starlette"]  # as for HOST_ROUTING
    english, turkish = ask_both(lambda language: fresh().request("GET", LOOKUP, headers=language))
    assert english.status_code == 405
    assert turkish.headers["allow"] == english.headers["allow"]
    assert_same_but_the_words(english.json(), turkish.json())


def test_too_many_attempts_in_turkish() -> None:
    def send(language: dict[str, str]) -> httpx.Response:
        app = create_app(make_service(limiter=FixedRetryLimiter(42)))
        return AppClient(app).post(LOOKUP, json=CANCELLABLE, headers=language)

    english, turkish = ask_both(send)
    assert english.status_code == 429
    assert turkish.headers["retry-after"] == english.headers["retry-after"] == "42"
    assert_same_but_the_words(english.json(), turkish.json())


def test_a_server_error_in_turkish() -> None:
    class BrokenService(type(make_service())):  # type: ignore[misc]
        def cancellation_reasons(self, *, locale: str | None = None) -> dict[str, Any]:
            raise RuntimeError("broken")

    app = create_app(BrokenService(store=make_service().store))

    def send(language: dict[str, str]) -> httpx.Response:
        return AppClient(app, raise_app_exceptions=False).get(REASONS, headers=language)

    english, turkish = ask_both(send)
    assert english.status_code == 500
    assert_same_but_the_words(english.json(), turkish.json())


@adapters
def test_successes_are_the_same_in_every_language(adapter: str) -> None:
    fresh = ADAPTERS[adapter]
    for path, body in [
        (LOOKUP, CANCELLABLE),
        (CANCEL, {**CANCELLABLE, **ITEM}),
        (BULK, {**CANCELLABLE, "cancel_order_items": [{**ITEM, "order_item": 1002}]}),
    ]:
        english = fresh().request("POST", path, json=body, headers=ENGLISH)
        turkish = fresh().request("POST", path, json=body, headers=TURKISH)
        assert turkish.status_code == english.status_code < 300, turkish.text
        strip = {"uuid", "id", "created_date", "modified_date"}
        assert _without(turkish.json(), strip) == _without(english.json(), strip)


def _without(value: Any, keys: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without(v, keys) for v in value]
    return value


@adapters
def test_reasons_answer_their_subjects_in_turkish(adapter: str) -> None:
    fresh = ADAPTERS[adapter]
    english, turkish = ask_both(lambda language: fresh().request("GET", REASONS, headers=language))
    subjects = {r["id"]: r["subject"] for r in turkish.json()["results"]}
    assert subjects == {
        1: "Fikrimi değiştirdim",
        2: "I ordered by mistake",  # no Turkish translation: the subject as written
        3: "Ürün hasarlı geldi",
        4: "Yanlış beden",
        5: "Not as described",
    }
    assert [r["subject"] for r in english.json()["results"]] == [
        "I changed my mind",
        "I ordered by mistake",
        "The item arrived damaged",
        "Wrong size",
        "Not as described",
    ]
    # Everything but the subjects is the same.
    drop = {"subject", "uuid"}  # each app loads the sample anew, with new uuids
    assert _without(turkish.json(), drop) == _without(english.json(), drop)


@adapters
def test_a_language_without_a_catalog_gets_english(adapter: str) -> None:
    response = ADAPTERS[adapter]().request(
        "POST", LOOKUP, json={"number": "1"}, headers={"Accept-Language": "de"}
    )
    assert response.headers["content-language"] == "en"
    assert response.json()["email"] == ["This field is required."]


# --- the service, without HTTP -----------------------------------------------------------


def test_the_service_takes_an_explicit_locale() -> None:
    service = make_service()
    with pytest.raises(GuestOrderError) as raised:
        service.lookup({**CANCELLABLE, "email": "eve@example.com"}, locale="tr_TR")
    error = raised.value
    assert error.locale == "tr"
    turkish = render_error(error)
    english = render_error(error, locale="en")
    assert_same_but_the_words(english, turkish)
    assert str(error) == english["non_field_errors"][0]  # logs stay in English
    assert render_error(error, locale="xx") == english


def test_the_service_says_errors_of_every_method_in_its_locale() -> None:
    service = make_service()
    calls: list[Callable[[], Any]] = [
        lambda: service.lookup({}, locale="tr"),
        lambda: service.request_cancellation({**CANCELLABLE, "order_item": 1}, locale="tr"),
        lambda: service.request_bulk_cancellation({**CANCELLABLE}, locale="tr"),
    ]
    for call in calls:
        with pytest.raises(GuestOrderError) as raised:
            call()
        assert raised.value.locale == "tr"
        assert_same_but_the_words(
            render_error(raised.value, locale="en"), render_error(raised.value)
        )


def test_without_a_locale_the_service_answers_in_english() -> None:
    with pytest.raises(GuestOrderError) as raised:
        make_service().lookup({})
    assert raised.value.locale == "en"
    assert render_error(raised.value)["number"] == ["This field is required."]


def test_reasons_from_python() -> None:
    service = make_service()
    turkish = service.cancellation_reasons(locale="tr")
    assert turkish["results"][0]["subject"] == "Fikrimi değiştirdim"
    assert service.cancellation_reasons()["results"][0]["subject"] == "I changed my mind"


@pytest.mark.parametrize(
    ("translations", "locale", "expected"),
    [
        ({"tr": "Türkçe"}, "tr", "Türkçe"),
        ({"tr-TR": "Bölgesel"}, "tr", "Bölgesel"),
        ({"TR_tr": "Alt çizgi"}, "tr", "Alt çizgi"),
        ({"tr-TR": "Bölgesel", "tr": "Genel"}, "tr", "Genel"),  # the exact key first
        ({"tr": ""}, "tr", "Default"),  # an empty translation is none
        ({"de": "Deutsch"}, "tr", "Default"),
        ({"en": "English"}, "en", "English"),
        ({"tr": "Türkçe"}, "en", "Default"),
        (None, "tr", "Default"),
        ({"tr": "Türkçe"}, "de", "Default"),  # no catalog: English, the default subject
    ],
)
def test_a_reason_subject_per_locale(
    translations: dict[str, str] | None, locale: str, expected: str
) -> None:
    reason = CancellationReason(
        pk=1,
        subject="Default",
        cancellation_type=CancellationType.CANCEL,
        translations=translations,
    )
    page = render_reasons([reason], locale=locale)
    assert page["results"][0]["subject"] == expected
    assert page["results"][0]["translations"] == translations


def test_every_kind_of_value_has_a_turkish_word() -> None:
    for kind in KINDS.values():
        assert translate(kind, "tr") != kind
