"""Demo data for the demo server (``guest-orders serve``): the built-in sample, the data
file loader and the example requests printed as curl commands.

The data file format is documented in ``docs/demo-data.md``.
"""

from guest_orders.demo._file import DataFileError, DemoData, load_data, load_data_file
from guest_orders.demo._requests import (
    DemoRequest,
    curl_command,
    demo_requests,
    describe_orders,
    with_active_requests,
)
from guest_orders.demo._sample import SAMPLE_DATA_FILE, sample_data, sample_data_text

__all__ = [
    "SAMPLE_DATA_FILE",
    "DataFileError",
    "DemoData",
    "DemoRequest",
    "curl_command",
    "demo_requests",
    "describe_orders",
    "load_data",
    "load_data_file",
    "sample_data",
    "sample_data_text",
    "with_active_requests",
]
