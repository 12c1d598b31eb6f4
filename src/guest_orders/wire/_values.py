"""Reading untrusted values: one parser per kind of value, ``parse(value, ctx) -> value``.

Every check is strict and hand-written, so the codes of Django REST framework's error
tree fall out directly and nothing converts silently (``True`` is not ``1``, ``2.7`` is
not ``2``, ``12`` is not ``"12"``). A parser raises :class:`Fail` with its error node;
:class:`Fields` reads the fields of one object and collects the failures under their keys.
Which field uses which parser is declared in :mod:`guest_orders.wire.spec`.

``form=True`` reads HTML form fields: a multi-value field (a list) counts by its last
value, an empty value counts as absent, integers may be strings of ASCII digits and
booleans one of ``true/false/1/0/on/off`` (any case).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from datetime import date, time
from typing import Any, Final, NoReturn, TypeVar

from schwifty import IBAN

from guest_orders.domain import CancellationType, Iban
from guest_orders.domain.emails import EmailNotValidError, normalize_email
from guest_orders.errors import ErrorDetail
from guest_orders.policy import Policy

T = TypeVar("T")

MAX_EMAIL_LENGTH: Final = 254
MAX_IBAN_LENGTH: Final = 34
MAX_HOLDER_NAME_LENGTH: Final = 255
#: Ids and quantities must fit a signed 64-bit database column.
MAX_INT: Final = 2**63 - 1
_MAX_INT_DIGITS: Final = len(str(MAX_INT))


# --- failures ----------------------------------------------------------------------------


class Fail(Exception):
    """A field failed; ``node`` goes under its key in the error tree.

    A list of details for a scalar field, a dict for an object, a list of dicts for a list
    of objects (``{}`` for the elements that are fine). Never leaves this module.
    """

    def __init__(self, node: Any) -> None:
        super().__init__()
        self.node = node


def fail(code: str, **params: object) -> NoReturn:
    raise Fail([ErrorDetail.of(code, **params)])


def not_a(kind: str) -> NoReturn:
    fail("invalid_type", kind=kind)


def _max_length(limit: int) -> NoReturn:
    fail("max_length", limit=limit)


def _max_value() -> NoReturn:
    fail("max_value", limit=MAX_INT)


def _invalid_image() -> NoReturn:
    fail("invalid_image")


def _image_too_large(limit: int) -> NoReturn:
    fail("image_too_large", limit=limit)


def present(value: Any) -> None:
    """Refuse an absent or null value (for required fields)."""
    if value is MISSING:
        fail("required")
    if value is None:
        fail("null")


NOT_AN_OBJECT = ErrorDetail.of("invalid_type", kind="object")


# --- reading ---------------------------------------------------------------------------


LISTS: Final = (list, tuple)


class Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


#: The value of an absent field (and, in form mode, of an empty one).
MISSING: Final = Missing()


class Context:
    """What every parser may need: the shop's limits and the input mode."""

    __slots__ = ("form", "policy")

    def __init__(self, policy: Policy, *, form: bool) -> None:
        self.policy = policy
        self.form = form


Parser = Callable[[Any, Context], T]


class Fields(Context):
    """Reads the fields of one object (the body, a bulk item, an image, a pickup date) and
    collects the failures under their keys. It is the context of the parsers it calls."""

    __slots__ = ("data", "errors")

    def __init__(self, data: Mapping[Any, Any], policy: Policy, *, form: bool) -> None:
        self.policy = policy
        self.form = form
        self.data = data
        self.errors: dict[str, Any] = {}

    def field(self, key: str, parse: Parser[T], *, is_list: bool = False) -> T:
        """The parsed value of a field; a failure is recorded under ``key``.

        In form mode an empty value counts as absent, and so does an empty list; a
        non-empty list counts by its last value, unless the field ``is_list``.
        """
        value = self.data.get(key, MISSING)
        if self.form:
            if type(value) in LISTS and not is_list:
                value = value[-1] if value else MISSING
            if isinstance(value, str) and not value:
                value = MISSING
        try:
            return parse(value, self)
        except Fail as failure:
            self.errors[key] = failure.node
            # A placeholder: whoever reads fields checks ``errors`` before using them.
            return None  # type: ignore[return-value]

    def check(self) -> None:
        """Fail with the collected errors, if any."""
        if self.errors:
            raise Fail(self.errors)


def read_object(value: Any, ctx: Context) -> Fields:
    """A present nested object, ready to read."""
    present(value)
    if not isinstance(value, Mapping):
        not_a("object")
    return Fields(value, ctx.policy, form=ctx.form)


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
        fail("invalid_characters")


def _text(value: Any, limit: int) -> str:
    """A present string, stripped, not blank, at most ``limit`` characters."""
    if not isinstance(value, str):
        present(value)
        not_a("string")
    text = value.strip(_WHITESPACE)
    if not text:
        fail("blank")
    if len(text) > limit:
        _max_length(limit)
    return text


def order_number(value: Any, ctx: Context) -> str:
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


def email(value: Any, _ctx: Context) -> str:
    """A valid email address (syntax only, no DNS), in its normalized form."""
    text = _text(value, MAX_EMAIL_LENGTH)
    try:
        return normalize_email(text)
    except EmailNotValidError:
        fail("invalid_email")


def positive_int(value: Any, ctx: Context) -> int:
    """An integer, at least 1, that fits 64 bits."""
    if type(value) is int:
        number: int = value
    elif ctx.form and type(value) is str and value.isascii() and value.isdigit():
        digits = value.lstrip("0")
        if len(digits) > _MAX_INT_DIGITS:  # int() refuses very long strings: bound first
            _max_value()
        number = int(digits or "0")
    else:
        present(value)
        not_a("integer")
    if number < 1:
        fail("min_value", limit=1)
    if number > MAX_INT:
        _max_value()
    return number


_FORM_BOOLEANS: Final = {
    "true": True,
    "1": True,
    "on": True,
    "false": False,
    "0": False,
    "off": False,
}


def flag(value: Any, ctx: Context) -> bool:
    """A boolean."""
    if type(value) is bool:
        return value
    if ctx.form and isinstance(value, str) and len(value) <= 5:
        parsed = _FORM_BOOLEANS.get(value.lower())
        if parsed is not None:
            return parsed
    not_a("boolean")


_CANCELLATION_TYPES: Final = {member.value: member for member in CancellationType}
_CHOICES: Final = ", ".join(_CANCELLATION_TYPES)


def cancellation_type(value: Any, _ctx: Context) -> CancellationType:
    found = _CANCELLATION_TYPES.get(value) if isinstance(value, str) else None
    if found is None:
        present(value)
        if not isinstance(value, str):
            not_a("string")
        fail("invalid_choice", choices=_CHOICES)
    return found


def free_text(value: Any, ctx: Context) -> str | None:
    """Free text; a blank one counts as absent."""
    if not isinstance(value, str):
        not_a("string")
    text = value.strip(_WHITESPACE)
    if not text:
        return None
    if len(text) > ctx.policy.max_description_length:
        _max_length(ctx.policy.max_description_length)
    if not text.isprintable():
        _check_characters(text, _CONTROL_IN_TEXT)
    return text


def holder_name(value: Any, _ctx: Context) -> str:
    text = _text(value, MAX_HOLDER_NAME_LENGTH)
    if not text.isprintable():
        _check_characters(text, _CONTROL)
    return text


# Country code, check digits, account part; matched on ASCII text only.
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")
_IBAN_SPACES = str.maketrans("", "", " \u00a0")


def iban(value: Any, _ctx: Context) -> Iban:
    """An IBAN (ISO 13616, mod 97-10), compacted. Its text never reaches an error message.

    At most 34 characters as given; spaces and no-break spaces are removed and letters
    uppercased. Anything else outside ASCII letters and digits is refused (zero-width
    spaces, Arabic-Indic digits), and so are the alias check digits ``99``.
    """
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
    fail("invalid_iban")


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"([0-9]{2}):([0-9]{2})")


def iso_date(value: Any, _ctx: Context) -> date:
    """``YYYY-MM-DD`` and nothing else (not the other forms ISO 8601 allows)."""
    present(value)
    if not isinstance(value, str):
        not_a("string")
    if _DATE.fullmatch(value) is not None:
        try:
            return date.fromisoformat(value)
        except ValueError:  # e.g. 2024-02-30
            pass
    fail("invalid_date")


def hour(value: Any, _ctx: Context) -> time:
    """``HH:MM``, 24-hour."""
    present(value)
    if not isinstance(value, str):
        not_a("string")
    match = _TIME.fullmatch(value)
    if match is not None and int(match[1]) < 24 and int(match[2]) < 60:
        return time(int(match[1]), int(match[2]))
    fail("invalid_time")


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


def image_data_url(value: Any, ctx: Context) -> tuple[bytes, str]:
    """``data:image/<jpeg|png|webp>;base64,...`` -> the bytes and their media type."""
    present(value)
    if not isinstance(value, str):
        not_a("string")
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


def each(values: list[Any] | tuple[Any, ...], parse: Parser[T], ctx: Context) -> list[T]:
    """Parse every element; fail with one tree per element (``{}`` for the good ones)."""
    parsed: list[T] = []
    trees: list[Any] | None = None  # built from the first failure on
    for index, value in enumerate(values):
        try:
            result = parse(value, ctx)
        except Fail as failure:
            if trees is None:
                trees = [{} for _ in range(index)]
            trees.append(failure.node)
        else:
            parsed.append(result)
            if trees is not None:
                trees.append({})
    if trees is not None:
        raise Fail(trees)
    return parsed
