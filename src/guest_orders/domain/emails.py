"""Email validation and the match key used to compare a guest's email with an order's."""

from __future__ import annotations

import hmac
import unicodedata

from email_validator import EmailNotValidError, validate_email

__all__ = ["EmailNotValidError", "emails_match", "match_key", "normalize_email"]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def normalize_email(email: str) -> str:
    """Validate syntax (no DNS) and return the normalized form.

    The domain is lowercased and the address put in NFC; the local part keeps its case
    (RFC 5321). Raises :class:`EmailNotValidError` for an invalid address.
    """
    return validate_email(email, check_deliverability=False).normalized


def match_key(email: str, *, fold_local_ascii: bool) -> bytes:
    """The bytes two emails are compared by.

    ``email`` is first normalized; a stored address that fails validation (legacy data)
    is compared by its NFC form with a lowercased domain, so it can still match exactly.
    Only ASCII letters of the local part are folded, and only when asked: broader folding
    makes different addresses collide (``dılek``/``dilek``, ``straße``/``strasse``).
    """
    try:
        normalized = normalize_email(email)
    except EmailNotValidError:
        local, _, domain = unicodedata.normalize("NFC", email).rpartition("@")
        normalized = f"{local}@{domain.lower()}"
    if fold_local_ascii:
        local, _, domain = normalized.rpartition("@")
        normalized = f"{local.translate(_ASCII_LOWER)}@{domain}"
    return normalized.encode("utf-8", "surrogatepass")


def emails_match(candidate: str, stored: str, *, fold_local_ascii: bool) -> bool:
    """Compare the :func:`match_key` of both emails in constant time, on UTF-8 bytes
    (``compare_digest`` rejects non-ASCII str).

    Both are validated, whatever they are: a hit and a miss (against a decoy) do the same
    work, and a candidate that is not normalized (a ``LookupQuery`` built by hand) gets
    the same answer as its normalized form.
    """
    return hmac.compare_digest(
        match_key(candidate, fold_local_ascii=fold_local_ascii),
        match_key(stored, fold_local_ascii=fold_local_ascii),
    )
