"""The wire contract's names, each written once."""

from __future__ import annotations

from typing import Final

__all__ = ["IMAGES_FIELD", "ITEMS_FIELD"]

#: The list of items of a bulk cancellation request.
ITEMS_FIELD: Final = "cancel_order_items"
#: The list of images of a cancel item.
IMAGES_FIELD: Final = "cancellation_request_image_set"
