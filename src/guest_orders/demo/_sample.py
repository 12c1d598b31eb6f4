"""The built-in sample data: a JSON data file shipped with the package."""

from __future__ import annotations

import json
from importlib import resources
from typing import Final

from guest_orders.demo._file import DemoData, load_data

__all__ = ["SAMPLE_DATA_FILE", "sample_data", "sample_data_text"]

#: Name of the sample inside this package; also an example of the data file format.
SAMPLE_DATA_FILE: Final = "sample-data.json"


def sample_data_text() -> str:
    """The sample data file's text (``guest-orders sample-data`` prints it)."""
    return (
        resources.files("guest_orders.demo").joinpath(SAMPLE_DATA_FILE).read_text(encoding="utf-8")
    )


def sample_data() -> DemoData:
    """Four guest orders (cancellable; delivered and refundable; cash on delivery; one item
    with an active request) and a registered customer's order, with reasons, easy-return
    carriers and addresses."""
    return load_data(json.loads(sample_data_text()), source=SAMPLE_DATA_FILE)
