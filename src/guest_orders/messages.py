"""Every human-readable message of the library, in one table keyed by message id.

A message id is the error's code (``"invalid_reason"``), or ``code.variant`` where one
code has several messages (``"parse_error.json"``). Messages with ``{placeholders}`` take
their values from :func:`message`'s keyword arguments (``message("max_length", limit=34)``).

Nothing else in the library writes a message out: the parsers, the use cases' rule
violations, the errors and the web adapter all look theirs up here, so a translation
layer has one place to hook into.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["MESSAGES", "message"]

#: Message id -> English text (``str.format`` placeholders in braces).
MESSAGES: Final[Mapping[str, str]] = MappingProxyType(
    {
        # --- any error -----------------------------------------------------------------
        "error": "The request could not be processed.",
        "invalid_request": "The request is invalid.",
        "order_not_found": "We couldn't locate an order with the information provided.",
        "too_many_attempts": "Too many attempts. Please try again later.",
        "idempotency_key_reused": (
            "This idempotency key was already used for a different request."
        ),
        "invalid_idempotency_key": (
            "The idempotency key must be 1 to {max_length} visible ASCII characters."
        ),
        # --- reading a request body ----------------------------------------------------
        "invalid": "Invalid data. Expected an object.",
        "required": "This field is required.",
        "null": "This field may not be null.",
        "blank": "This field may not be blank.",
        "empty": "This list may not be empty.",
        "invalid_type": "A valid {kind} is required.",
        "max_length": "Ensure this field has no more than {limit} characters.",
        "min_value": "Ensure this value is greater than or equal to {limit}.",
        "max_value": "Ensure this value is less than or equal to {limit}.",
        "invalid_characters": "This field contains characters that are not allowed.",
        "invalid_email": "Enter a valid email address.",
        "invalid_choice": "Must be one of: {choices}.",
        "invalid_iban": "Enter a valid IBAN.",
        "invalid_date": "Date has wrong format. Use YYYY-MM-DD.",
        "invalid_time": "Time has wrong format. Use HH:MM.",
        "invalid_hour_range": "The hour range must start before it ends.",
        "invalid_image": "Upload a JPEG, PNG or WEBP image as a base64 data URL of its type.",
        "image_too_large": "Ensure each image is at most {limit} bytes.",
        "too_many_images": "Ensure there are at most {limit} images.",
        "too_many_items": "Ensure there are at most {limit} items.",
        "duplicate_order_item": "This order item is listed more than once.",
        # --- the cancellation rules ----------------------------------------------------
        "cancellation_request_100_1": (
            "A cancellation request already exists for this order item."
        ),
        "order_item_not_in_order": "This item does not belong to the order.",
        "item_not_refundable": "This item cannot be refunded.",
        "item_not_cancellable": "This item cannot be cancelled.",
        "invalid_reason": "This cancellation reason is not available.",
        "reason_type_mismatch": "This reason is not for this cancellation type.",
        "description_required": "This reason needs a description.",
        "shipping_company_not_allowed": "A shipping company can only be given for a refund.",
        "shipping_company_required": "A refund needs an easy-return shipping company.",
        "invalid_shipping_company": "This shipping company is not available for easy returns.",
        "quantity_exceeds_item": "The quantity cannot exceed the item's quantity.",
        "iban_required": "Refunds of cash-paid orders need a bank account.",
        "holder_name_required": "Refunds of cash-paid orders need a bank account.",
        "iban_not_allowed": "A bank account can only be given for refunds of cash-paid orders.",
        "holder_name_not_allowed": (
            "A bank account can only be given for refunds of cash-paid orders."
        ),
        "pickup_date_not_allowed": "A pickup date can only be given for a refund.",
        "pickup_date_in_past": "The pickup date cannot be in the past.",
        "pickup_address_not_allowed": "A pickup address can only be given with refund items.",
        "invalid_pickup_address": "This pickup address is not one of the customer's addresses.",
        "loyalty_money_disabled": "Refunds as loyalty money are not available in this shop.",
        "loyalty_money_not_allowed": "Loyalty money refunds need at least one refund item.",
        # --- the HTTP layer ------------------------------------------------------------
        "parse_error": "The request body could not be parsed.",
        "parse_error.json": "Malformed JSON: the body must be one JSON value, encoded in UTF-8.",
        "parse_error.form": "Malformed form data.",
        "parse_error.file_upload": (
            "File uploads are not accepted: send images as data URLs in a JSON body."
        ),
        "bad_request": "The request could not be processed.",
        "unsupported_media_type": (
            "Unsupported media type: send application/json, "
            "application/x-www-form-urlencoded or multipart/form-data (UTF-8)."
        ),
        "request_too_large": "The request body is too large.",
        "method_not_allowed": "Method not allowed.",
        "not_found": "Not found.",
        "server_error": "A server error occurred.",
    }
)


def message(message_id: str, /, **params: object) -> str:
    """The text of ``message_id`` with ``params`` filled in.

    Raises :class:`KeyError` for an unknown id: every message the library shows is in
    :data:`MESSAGES`.
    """
    text = MESSAGES[message_id]
    return text.format(**params) if params else text
