"""The headers every response of the guest endpoints carries, whatever its status.

An adapter adds them to each response it sends (the Starlette app does, and so must a
host's own views):

- ``Cache-Control: no-store``: a lookup answers the guest's email, address, bank and
  notes; no browser or shared cache may keep it (OWASP ASVS 5.0, 14.3.2). Errors carry it
  too, so that no cache keeps an answer that a later request would change.
- ``X-Content-Type-Options: nosniff``: the bodies are JSON and must never be sniffed into
  something a browser would run.
"""

from __future__ import annotations

from typing import Final

__all__ = ["RESPONSE_HEADERS"]

#: ``(name, value)`` pairs, in the order they are sent.
RESPONSE_HEADERS: Final[tuple[tuple[str, str], ...]] = (
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
)
