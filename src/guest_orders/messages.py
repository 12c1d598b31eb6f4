"""Every human-readable message of the library, in one table keyed by message id.

A message id is the error's code (``"invalid_reason"``), or ``code.variant`` where one
code has several messages (``"parse_error.json"``). Messages with ``{placeholders}`` take
their values from :func:`message`'s keyword arguments (``message("max_length", limit=34)``).

Nothing else in the library writes a message out: the parsers, the use cases' rule
violations, the errors and the web adapter all look theirs up here.

The texts are English; each is marked ``N_(...)`` so that Babel extracts it into the
gettext catalogs (``make messages``), and :func:`message` answers in any locale of
:data:`guest_orders.i18n.LOCALES` (docs/how-to/languages.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from guest_orders.i18n import translate

__all__ = ["KINDS", "MESSAGES", "N_", "format_message", "message"]


def N_(text: str) -> str:  # noqa: N802 - gettext's name for a message marked, not translated
    """Mark ``text`` for extraction into the catalogs; returns it unchanged."""
    return text


#: Message id -> English text (``str.format`` placeholders in braces).
MESSAGES: Final[Mapping[str, str]] = MappingProxyType(
    {
        # --- any error -----------------------------------------------------------------
        "error": N_("The request could not be processed."),
        "invalid_request": N_("The request is invalid."),
        "order_not_found": N_("We couldn't locate an order with the information provided."),
        "too_many_attempts": N_("Too many attempts. Please try again later."),
        "idempotency_key_reused": N_(
            "This idempotency key was already used for a different request."
        ),
        "invalid_idempotency_key": N_(
            "The idempotency key must be 1 to {max_length} visible ASCII characters."
        ),
        # --- reading a request body ----------------------------------------------------
        "invalid": N_("Invalid data. Expected an object."),
        "required": N_("This field is required."),
        "null": N_("This field may not be null."),
        "blank": N_("This field may not be blank."),
        "empty": N_("This list may not be empty."),
        "invalid_type": N_("A valid {kind} is required."),
        "max_length": N_("Ensure this field has no more than {limit} characters."),
        "min_value": N_("Ensure this value is greater than or equal to {limit}."),
        "max_value": N_("Ensure this value is less than or equal to {limit}."),
        "invalid_characters": N_("This field contains characters that are not allowed."),
        "invalid_email": N_("Enter a valid email address."),
        "invalid_choice": N_("Must be one of: {choices}."),
        "invalid_iban": N_("Enter a valid IBAN."),
        "invalid_date": N_("Date has wrong format. Use YYYY-MM-DD."),
        "invalid_time": N_("Time has wrong format. Use HH:MM."),
        "invalid_hour_range": N_("The hour range must start before it ends."),
        "invalid_image": N_("Upload a JPEG, PNG or WEBP image as a base64 data URL of its type."),
        "image_too_large": N_("Ensure each image is at most {limit} bytes."),
        "too_many_images": N_("Ensure there are at most {limit} images."),
        "too_many_items": N_("Ensure there are at most {limit} items."),
        "duplicate_order_item": N_("This order item is listed more than once."),
        # --- the cancellation rules ----------------------------------------------------
        "cancellation_request_100_1": N_(
            "A cancellation request already exists for this order item."
        ),
        "order_item_not_in_order": N_("This item does not belong to the order."),
        "item_not_refundable": N_("This item cannot be refunded."),
        "item_not_cancellable": N_("This item cannot be cancelled."),
        "invalid_reason": N_("This cancellation reason is not available."),
        "reason_type_mismatch": N_("This reason is not for this cancellation type."),
        "description_required": N_("This reason needs a description."),
        "shipping_company_not_allowed": N_("A shipping company can only be given for a refund."),
        "shipping_company_required": N_("A refund needs an easy-return shipping company."),
        "invalid_shipping_company": N_("This shipping company is not available for easy returns."),
        "quantity_exceeds_item": N_("The quantity cannot exceed the item's quantity."),
        "iban_required": N_("Refunds of cash-paid orders need a bank account."),
        "holder_name_required": N_("Refunds of cash-paid orders need a bank account."),
        "iban_not_allowed": N_("A bank account can only be given for refunds of cash-paid orders."),
        "holder_name_not_allowed": N_(
            "A bank account can only be given for refunds of cash-paid orders."
        ),
        "pickup_date_not_allowed": N_("A pickup date can only be given for a refund."),
        "pickup_date_in_past": N_("The pickup date cannot be in the past."),
        "pickup_address_not_allowed": N_("A pickup address can only be given with refund items."),
        "invalid_pickup_address": N_("This pickup address is not one of the customer's addresses."),
        "loyalty_money_disabled": N_("Refunds as loyalty money are not available in this shop."),
        "loyalty_money_not_allowed": N_("Loyalty money refunds need at least one refund item."),
        # --- the HTTP layer ------------------------------------------------------------
        "parse_error": N_("The request body could not be parsed."),
        "parse_error.json": N_(
            "Malformed JSON: the body must be one JSON value, encoded in UTF-8."
        ),
        "duplicate_key": N_("Malformed JSON: an object names the same key more than once."),
        "too_many_values": N_("The JSON body holds more values than any valid request."),
        "parse_error.form": N_("Malformed form data."),
        "parse_error.file_upload": N_(
            "File uploads are not accepted: send images as data URLs in a JSON body."
        ),
        "bad_request": N_("The request could not be processed."),
        "unsupported_media_type": N_(
            "Unsupported media type: send application/json, "
            "application/x-www-form-urlencoded or multipart/form-data (UTF-8)."
        ),
        "request_too_large": N_("The request body is too large."),
        "method_not_allowed": N_("Method not allowed."),
        "not_found": N_("Not found."),
        "server_error": N_("A server error occurred."),
    }
)


#: The kinds of value ``invalid_type`` names (its ``kind``), translated with the message.
KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "boolean": N_("boolean"),
        "integer": N_("integer"),
        "list": N_("list"),
        "object": N_("object"),
        "string": N_("string"),
    }
)


def message(message_id: str, /, *, locale: str | None = None, **params: object) -> str:
    """The text of ``message_id`` in ``locale`` (English by default), ``params`` filled in.

    Raises :class:`KeyError` for an unknown id: every message the library shows is in
    :data:`MESSAGES`.
    """
    return format_message(message_id, params, locale=locale)


def format_message(
    message_id: str, params: Mapping[str, object], *, locale: str | None = None
) -> str:
    """As :func:`message`, with the values as a mapping. A ``kind`` of :data:`KINDS` is
    translated with the message."""
    text = MESSAGES[message_id]
    if locale is not None:
        text = translate(text, locale)
    if not params:
        return text
    kind = params.get("kind")
    if locale is not None and isinstance(kind, str) and kind in KINDS:
        params = {**params, "kind": translate(KINDS[kind], locale)}
    return text.format(**params)
