"""Untrusted request mappings -> the domain's command objects.

Every check is strict and hand-written, so the codes and paths of Django REST framework's
error tree fall out directly and nothing converts silently (``True`` is not ``1``, ``2.7``
is not ``2``, ``12`` is not ``"12"``). Every problem of a request is collected before
:class:`InvalidRequest` is raised; no other exception leaves these functions, whatever
the input.

``form=True`` reads HTML form fields: a multi-value field (a list) counts by its last
value, an empty value counts as absent, integers may be strings of ASCII digits and
booleans one of ``true/false/1/0/on/off`` (any case).

How it stays fast: each field has one parser, ``parser(value, ctx) -> value``, which
raises ``_Fail`` with its error node. A cancel item is first parsed optimistically, every
parser called directly (no per-field bookkeeping); only when that fails is it read again
field by field through :class:`_Fields`, which collects every failure under its key.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from datetime import date, time
from functools import partial
from typing import Any, Final, NoReturn, TypeVar

from schwifty import IBAN

from guest_orders.domain import (
    CancelItem,
    CancellationCommand,
    CancellationType,
    Iban,
    ImageUpload,
    LookupQuery,
    PickupDate,
)
from guest_orders.domain.emails import EmailNotValidError, normalize_email
from guest_orders.errors import NON_FIELD_ERRORS, ErrorDetail, InvalidRequest
from guest_orders.policy import Policy
from guest_orders.wire.spec import IMAGES_FIELD, ITEMS_FIELD

__all__ = ["parse_bulk_cancellation", "parse_cancellation", "parse_lookup"]

T = TypeVar("T")

_DEFAULT_POLICY: Final = Policy()

MAX_EMAIL_LENGTH: Final = 254
MAX_IBAN_LENGTH: Final = 34
MAX_HOLDER_NAME_LENGTH: Final = 255
#: Ids and quantities must fit a signed 64-bit database column.
MAX_INT: Final = 2**63 - 1
_MAX_INT_DIGITS: Final = len(str(MAX_INT))


# --- failures ----------------------------------------------------------------------------


class _Fail(Exception):
    """A field failed; ``node`` goes under its key in the error tree.

    A list of details for a scalar field, a dict for an object, a list of dicts for a list
    of objects (``{}`` for the elements that are fine). Never leaves this module.
    """

    def __init__(self, node: Any) -> None:
        super().__init__()
        self.node = node


def _fail(code: str, **params: object) -> NoReturn:
    raise _Fail([ErrorDetail.of(code, **params)])


def _not_a(kind: str) -> NoReturn:
    _fail("invalid_type", kind=kind)


def _max_length(limit: int) -> NoReturn:
    _fail("max_length", limit=limit)


def _max_value() -> NoReturn:
    _fail("max_value", limit=MAX_INT)


def _invalid_image() -> NoReturn:
    _fail("invalid_image")


def _image_too_large(limit: int) -> NoReturn:
    _fail("image_too_large", limit=limit)


def _present(value: Any) -> None:
    """Refuse an absent or null value (for required fields)."""
    if value is _MISSING:
        _fail("required")
    if value is None:
        _fail("null")


_NOT_AN_OBJECT = ErrorDetail.of("invalid_type", kind="object")
_DUPLICATE = ErrorDetail.of("duplicate_order_item")
_INVALID_HOUR_RANGE = ErrorDetail.of("invalid_hour_range")
_INVALID_BODY = ErrorDetail.of("invalid")


# --- reading ---------------------------------------------------------------------------


_LISTS: Final = (list, tuple)


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


#: The value of an absent field (and, in form mode, of an empty one).
_MISSING: Final = _Missing()


class _Context:
    """What every parser may need: the shop's limits and the input mode."""

    __slots__ = ("form", "policy")

    def __init__(self, policy: Policy, *, form: bool) -> None:
        self.policy = policy
        self.form = form


_Parser = Callable[[Any, _Context], T]


class _Fields(_Context):
    """Reads the fields of one object (the body, a bulk item, an image, a pickup date) and
    collects the failures under their keys. It is the context of the parsers it calls."""

    __slots__ = ("data", "errors")

    def __init__(self, data: Mapping[Any, Any], policy: Policy, *, form: bool) -> None:
        self.policy = policy
        self.form = form
        self.data = data
        self.errors: dict[str, Any] = {}

    def field(self, key: str, parse: _Parser[T], *, is_list: bool = False) -> T:
        """The parsed value of a field; a failure is recorded under ``key``.

        In form mode an empty value counts as absent, and so does an empty list; a
        non-empty list counts by its last value, unless the field ``is_list``.
        """
        value = self.data.get(key, _MISSING)
        if self.form:
            if type(value) in _LISTS and not is_list:
                value = value[-1] if value else _MISSING
            if isinstance(value, str) and not value:
                value = _MISSING
        try:
            return parse(value, self)
        except _Fail as failure:
            self.errors[key] = failure.node
            # A placeholder: whoever reads fields checks ``errors`` before using them.
            return None  # type: ignore[return-value]

    def check(self) -> None:
        """Fail with the collected errors, if any."""
        if self.errors:
            raise _Fail(self.errors)


def _object(value: Any, ctx: _Context) -> _Fields:
    """A present nested object, ready to read."""
    _present(value)
    if not isinstance(value, Mapping):
        _not_a("object")
    return _Fields(value, ctx.policy, form=ctx.form)


# --- scalar fields -----------------------------------------------------------------------

# Control characters (C0, DEL, C1) and lone surrogates are never accepted.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# The same, except that line breaks and tabs are fine in free text.
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


# What "surrounding whitespace" is: Python's whitespace less the control characters it
# counts as such (VT, FF, FS, GS, RS, US, NEL), which are refused like any other, even at
# either end, rather than silently stripped.
_WHITESPACE: Final = (
    "\t\n\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


def _check_characters(text: str, pattern: re.Pattern[str]) -> None:
    """Refuse ``pattern``'s characters. Callers ask only for text that is not printable
    (``str.isprintable()``, a fast check true for most input): ``pattern`` is narrower."""
    if pattern.search(text) is not None:
        _fail("invalid_characters")


def _text(value: Any, limit: int) -> str:
    """A present string, stripped, not blank, at most ``limit`` characters."""
    if not isinstance(value, str):
        _present(value)
        _not_a("string")
    text = value.strip(_WHITESPACE)
    if not text:
        _fail("blank")
    if len(text) > limit:
        _max_length(limit)
    return text


def _number(value: Any, ctx: _Context) -> str:
    """The order number: a string, or an integer taken as its decimal string (as Django
    REST framework does; a bool is not an integer)."""
    limit = ctx.policy.max_number_length
    if type(value) is int:
        # Bound it before str(): slow for huge ints, and refused past 4300 digits.
        if (value.bit_length() - 1) * 0.30103 >= limit or value.bit_length() > 14_000:
            _max_length(limit)
        value = str(value)
    text = _text(value, limit)
    if not text.isprintable():
        _check_characters(text, _CONTROL)
    return text


def _email(value: Any, _ctx: _Context) -> str:
    """A valid email address (syntax only, no DNS), in its normalized form."""
    text = _text(value, MAX_EMAIL_LENGTH)
    try:
        return normalize_email(text)
    except EmailNotValidError:
        _fail("invalid_email")


def _int(value: Any, ctx: _Context) -> int:
    """A required integer, at least 1, that fits 64 bits."""
    if type(value) is int:
        number: int = value
    elif ctx.form and type(value) is str and value.isascii() and value.isdigit():
        digits = value.lstrip("0")
        if len(digits) > _MAX_INT_DIGITS:  # int() refuses very long strings: bound first
            _max_value()
        number = int(digits or "0")
    else:
        _present(value)
        _not_a("integer")
    if number < 1:
        _fail("min_value", limit=1)
    if number > MAX_INT:
        _max_value()
    return number


def _optional_int(value: Any, ctx: _Context) -> int | None:
    return None if value is _MISSING or value is None else _int(value, ctx)


_FORM_BOOLEANS: Final = {
    "true": True,
    "1": True,
    "on": True,
    "false": False,
    "0": False,
    "off": False,
}


def _flag(value: Any, ctx: _Context) -> bool:
    """An optional boolean, false when absent."""
    if type(value) is bool:
        return value
    if value is _MISSING or value is None:
        return False
    if ctx.form and isinstance(value, str) and len(value) <= 5:
        parsed = _FORM_BOOLEANS.get(value.lower())
        if parsed is not None:
            return parsed
    _not_a("boolean")


_CANCELLATION_TYPES: Final = {member.value: member for member in CancellationType}
_CHOICES: Final = ", ".join(_CANCELLATION_TYPES)


def _cancellation_type(value: Any, _ctx: _Context) -> CancellationType:
    found = _CANCELLATION_TYPES.get(value) if isinstance(value, str) else None
    if found is None:
        _present(value)
        if not isinstance(value, str):
            _not_a("string")
        _fail("invalid_choice", choices=_CHOICES)
    return found


def _description(value: Any, ctx: _Context) -> str | None:
    """Optional free text; a blank one counts as absent."""
    if value is _MISSING or value is None:
        return None
    if not isinstance(value, str):
        _not_a("string")
    text = value.strip(_WHITESPACE)
    if not text:
        return None
    if len(text) > ctx.policy.max_description_length:
        _max_length(ctx.policy.max_description_length)
    if not text.isprintable():
        _check_characters(text, _CONTROL_IN_TEXT)
    return text


def _holder_name(value: Any, _ctx: _Context) -> str | None:
    if value is _MISSING or value is None:
        return None
    text = _text(value, MAX_HOLDER_NAME_LENGTH)
    if not text.isprintable():
        _check_characters(text, _CONTROL)
    return text


# Country code, check digits, account part; matched on ASCII text only.
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")
_IBAN_SPACES = str.maketrans("", "", " \u00a0")


def _iban(value: Any, _ctx: _Context) -> Iban | None:
    """An IBAN (ISO 13616, mod 97-10), compacted. Its text never reaches an error message.

    At most 34 characters as given; spaces and no-break spaces are removed and letters
    uppercased. Anything else outside ASCII letters and digits is refused (zero-width
    spaces, Arabic-Indic digits), and so are the alias check digits ``99``.
    """
    if value is _MISSING or value is None:
        return None
    compact = _text(value, MAX_IBAN_LENGTH).translate(_IBAN_SPACES)
    # isascii() before upper(): upper() maps some non-ASCII letters onto ASCII ("ı" -> "I").
    if compact.isascii():
        compact = compact.upper()
        if _IBAN_SHAPE.fullmatch(compact) is not None:
            try:
                IBAN(compact)
            except ValueError:  # schwifty's errors are ValueErrors; their text has the IBAN
                pass
            else:
                return Iban(compact)
    _fail("invalid_iban")


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"([0-9]{2}):([0-9]{2})")


def _date(value: Any, _ctx: _Context) -> date:
    """``YYYY-MM-DD`` and nothing else (not the other forms ISO 8601 allows)."""
    _present(value)
    if not isinstance(value, str):
        _not_a("string")
    if _DATE.fullmatch(value) is not None:
        try:
            return date.fromisoformat(value)
        except ValueError:  # e.g. 2024-02-30
            pass
    _fail("invalid_date")


def _time(value: Any, _ctx: _Context) -> time:
    """``HH:MM``, 24-hour."""
    _present(value)
    if not isinstance(value, str):
        _not_a("string")
    match = _TIME.fullmatch(value)
    if match is not None and int(match[1]) < 24 and int(match[2]) < 60:
        return time(int(match[1]), int(match[2]))
    _fail("invalid_time")


# --- nested fields -----------------------------------------------------------------------


def _hour_range(value: Any, ctx: _Context) -> tuple[time, time]:
    fields = _object(value, ctx)
    start = fields.field("start", _time)
    end = fields.field("end", _time)
    if not fields.errors and not start < end:
        fields.errors[NON_FIELD_ERRORS] = [_INVALID_HOUR_RANGE]
    fields.check()
    return start, end


def _pickup_date(value: Any, ctx: _Context) -> PickupDate | None:
    """``{"date": "YYYY-MM-DD", "hour_range": {"start": "HH:MM", "end": "HH:MM"}}``."""
    if value is _MISSING or value is None:
        return None
    fields = _object(value, ctx)
    day = fields.field("date", _date)
    hours = fields.field("hour_range", _hour_range)
    fields.check()
    start, end = hours
    return PickupDate(date=day, start=start, end=end)


_DATA_URL = re.compile(r"data:image/(jpeg|png|webp);base64,")


def _sniff(content: bytes) -> str | None:
    """The image type by its magic bytes."""
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return "webp"
    return None


def _image_content(value: Any, ctx: _Context) -> tuple[bytes, str]:
    """``data:image/<jpeg|png|webp>;base64,...`` -> the bytes and their media type."""
    _present(value)
    if not isinstance(value, str):
        _not_a("string")
    header = _DATA_URL.match(value)
    if header is None:
        _invalid_image()
    payload = value[header.end() :]
    limit = ctx.policy.max_image_bytes
    # Four base64 characters carry three bytes: a longer text cannot fit, so it is
    # refused before anything is decoded.
    if len(payload) > 4 * ((limit + 2) // 3):
        _image_too_large(limit)
    try:
        content = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):  # bad alphabet or padding, or non-ASCII text
        _invalid_image()
    if len(content) > limit:
        _image_too_large(limit)
    declared = header[1]
    if _sniff(content) != declared:
        _invalid_image()
    return content, f"image/{declared}"


def _image(value: Any, ctx: _Context) -> ImageUpload:
    if not isinstance(value, Mapping):
        raise _Fail({NON_FIELD_ERRORS: [_NOT_AN_OBJECT]})
    fields = _Fields(value, ctx.policy, form=ctx.form)
    image = fields.field("image", _image_content)
    description = fields.field("description", _description)
    fields.check()
    content, media_type = image
    return ImageUpload(content=content, media_type=media_type, description=description)


def _images(value: Any, ctx: _Context) -> tuple[ImageUpload, ...]:
    if value is _MISSING or value is None:
        return ()
    if type(value) not in _LISTS:
        _not_a("list")
    if len(value) > ctx.policy.max_images:
        _fail("too_many_images", limit=ctx.policy.max_images)
    return tuple(_each(value, _image, ctx))


def _each(values: list[Any] | tuple[Any, ...], parse: _Parser[T], ctx: _Context) -> list[T]:
    """Parse every element; fail with one tree per element (``{}`` for the good ones)."""
    parsed: list[T] = []
    trees: list[Any] | None = None  # built from the first failure on
    for index, value in enumerate(values):
        try:
            result = parse(value, ctx)
        except _Fail as failure:
            if trees is None:
                trees = [{} for _ in range(index)]
            trees.append(failure.node)
        else:
            parsed.append(result)
            if trees is not None:
                trees.append({})
    if trees is not None:
        raise _Fail(trees)
    return parsed


# --- cancel items ------------------------------------------------------------------------


def _item_directly(data: Mapping[Any, Any], ctx: _Context, *, bulk: bool) -> CancelItem:
    """The item of a JSON body, every parser called directly; fails at the first problem.

    Absent and null optional fields are alike; a required field that is absent or null
    fails either way (:func:`_item_by_field` then names the problem). Images come last, so
    they are decoded only once every other field has passed.
    """
    get = data.get
    description = get("description")
    shipping_company = get("shipping_company")
    quantity = get("quantity")
    iban = get("iban")
    holder_name = get("holder_name")
    pickup_date = get("pickup_date") if bulk else None
    images = get(IMAGES_FIELD) if bulk else None
    return CancelItem(
        order_item=_int(get("order_item"), ctx),
        reason=_int(get("reason"), ctx),
        cancellation_type=_cancellation_type(get("cancellation_type"), ctx),
        description=None if description is None else _description(description, ctx),
        shipping_company=None if shipping_company is None else _int(shipping_company, ctx),
        quantity=None if quantity is None else _int(quantity, ctx),
        iban=None if iban is None else _iban(iban, ctx),
        holder_name=None if holder_name is None else _holder_name(holder_name, ctx),
        pickup_date=None if pickup_date is None else _pickup_date(pickup_date, ctx),
        images=() if images is None else _images(images, ctx),
    )


def _item_by_field(fields: _Fields, order_item: int, *, bulk: bool) -> CancelItem | None:
    """The item, read field by field so every failure is recorded; ``None`` if any.

    ``order_item`` was read by the caller (the bulk parser needs it first).
    """
    reason = fields.field("reason", _int)
    cancellation_type = fields.field("cancellation_type", _cancellation_type)
    description = fields.field("description", _description)
    shipping_company = fields.field("shipping_company", _optional_int)
    pickup_date = fields.field("pickup_date", _pickup_date) if bulk else None
    quantity = fields.field("quantity", _optional_int)
    images = fields.field(IMAGES_FIELD, _images, is_list=True) if bulk else ()
    iban = fields.field("iban", _iban)
    holder_name = fields.field("holder_name", _holder_name)
    if fields.errors:
        return None
    return CancelItem(
        order_item=order_item,
        reason=reason,
        cancellation_type=cancellation_type,
        description=description,
        shipping_company=shipping_company,
        quantity=quantity,
        iban=iban,
        holder_name=holder_name,
        pickup_date=pickup_date,
        images=images,
    )


def _single_item(fields: _Fields) -> CancelItem | None:
    """The item of a single cancellation, read from the body; failures go to ``fields``."""
    if not fields.form:  # form fields need reading rules: read them field by field
        try:
            return _item_directly(fields.data, fields, bulk=False)
        except _Fail:
            pass
    order_item = fields.field("order_item", _int)
    return _item_by_field(fields, order_item, bulk=False)


def _bulk_item(seen: set[int], entry: Any, ctx: _Context) -> CancelItem:
    """One element of ``cancel_order_items``; ``seen`` holds the order items before it."""
    if type(entry) is not dict and not isinstance(entry, Mapping):
        raise _Fail({NON_FIELD_ERRORS: [_NOT_AN_OBJECT]})
    if not ctx.form:
        try:
            item = _item_directly(entry, ctx, bulk=True)
        except _Fail:
            pass
        else:
            if item.order_item not in seen:
                seen.add(item.order_item)
                return item
    # Something is wrong (or this is a form): read field by field, naming every problem.
    fields = _Fields(entry, ctx.policy, form=ctx.form)
    order_item = fields.field("order_item", _int)
    if "order_item" not in fields.errors:
        if order_item in seen:
            fields.errors["order_item"] = [_DUPLICATE]
        seen.add(order_item)
    item_or_none = _item_by_field(fields, order_item, bulk=True)
    fields.check()
    assert item_or_none is not None
    return item_or_none


def _bulk_items(value: Any, ctx: _Context) -> tuple[CancelItem, ...]:
    """``cancel_order_items``: 1 to ``max_bulk_items`` items, each order item once."""
    _present(value)
    if type(value) not in _LISTS:
        _not_a("list")
    if not value:
        _fail("empty")
    limit = ctx.policy.max_bulk_items
    if len(value) > limit:
        _fail("too_many_items", limit=limit)
    return tuple(_each(value, partial(_bulk_item, set()), ctx))


# --- the three requests ------------------------------------------------------------------


def _body(data: Any, policy: Policy, *, form: bool) -> _Fields:
    if type(data) is not dict and not isinstance(data, Mapping):
        raise InvalidRequest({NON_FIELD_ERRORS: [_INVALID_BODY]})
    return _Fields(data, policy, form=form)


def parse_lookup(
    data: Mapping[str, Any], *, policy: Policy = _DEFAULT_POLICY, form: bool = False
) -> LookupQuery:
    """``{"number", "email"}`` -> :class:`LookupQuery`, or :class:`InvalidRequest`."""
    body = _body(data, policy, form=form)
    if not form:
        # The common case, without per-field bookkeeping (this is the hot path; the email's
        # validation dominates it). Each value is still validated once.
        try:
            number = _number(data.get("number", _MISSING), body)
        except _Fail:
            pass  # read both below, to report both
        else:
            try:
                return LookupQuery(number=number, email=_email(data.get("email", _MISSING), body))
            except _Fail as failure:
                raise InvalidRequest({"email": failure.node}) from None
    number = body.field("number", _number)
    email = body.field("email", _email)
    if body.errors:
        raise InvalidRequest(body.errors)
    return LookupQuery(number=number, email=email)


def parse_cancellation(
    data: Mapping[str, Any], *, policy: Policy = _DEFAULT_POLICY, form: bool = False
) -> CancellationCommand:
    """One item's cancellation or refund -> ``CancellationCommand(bulk=False)``."""
    body = _body(data, policy, form=form)
    number = body.field("number", _number)
    email = body.field("email", _email)
    item = _single_item(body)
    if item is None or body.errors:
        raise InvalidRequest(body.errors)
    return CancellationCommand(number=number, email=email, items=(item,), bulk=False)


def parse_bulk_cancellation(
    data: Mapping[str, Any], *, policy: Policy = _DEFAULT_POLICY, form: bool = False
) -> CancellationCommand:
    """Several items' cancellations or refunds -> ``CancellationCommand(bulk=True)``."""
    body = _body(data, policy, form=form)
    number = body.field("number", _number)
    email = body.field("email", _email)
    items = body.field(ITEMS_FIELD, _bulk_items, is_list=True)
    pickup_address = body.field("pickup_address", _optional_int)
    loyalty = body.field("fully_refund_as_loyalty_money", _flag)
    if body.errors:
        raise InvalidRequest(body.errors)
    return CancellationCommand(
        number=number,
        email=email,
        items=items,
        pickup_address=pickup_address,
        fully_refund_as_loyalty_money=loyalty,
        bulk=True,
    )
