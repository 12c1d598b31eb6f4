"""Email validation and the match key used to compare a guest's email with an order's."""

from __future__ import annotations

import hmac
import re
import unicodedata

from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

__all__ = ["EmailNotValidError", "emails_match", "match_key", "normalize_email"]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# An address ``normalize_email`` gives back unchanged, and that ``match_key`` keeps as is
# even when it fails validation: a local part of RFC 5322 atext, dots and non-ASCII
# characters (so nothing quoted, escaped or bracketed, no display name), in NFC, and a
# lowercase ASCII domain with no Punycode label to decode. Local parts that
# ``email_validator`` lowercases (RFC 2142 mailbox names, such as ``Info``) are left out.
_PLAIN_EMAIL = re.compile(r"((?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]|[^\x00-\x7f])+)@[a-z0-9.-]+")
_MAILBOX_NAMES = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


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
    """Compare in constant time on UTF-8 bytes (``compare_digest`` rejects non-ASCII str).

    ``candidate`` is the guest's email, expected in its normalized form, as
    :func:`normalize_email` (and so :func:`guest_orders.wire.parse_lookup`) gives it: an
    address in the common form that normalization leaves unchanged (see
    ``_is_normalized``) is compared by its bytes, without being validated again. Any other
    candidate is validated first, so the answer is always that of comparing both
    :func:`match_key`: a candidate that is not normalized costs one more validation, never
    a different answer. ``stored`` is always validated, whatever it is, so a hit and a
    miss (against a decoy) do the same work.
    """
    return hmac.compare_digest(
        _candidate_key(candidate, fold_local_ascii=fold_local_ascii),
        match_key(stored, fold_local_ascii=fold_local_ascii),
    )


def _is_normalized(email: str) -> bool:
    """True when ``match_key(email)`` is ``email`` itself (before any folding): the
    address is in a form that validation leaves unchanged, and that the fallback for
    invalid addresses leaves unchanged too. Cheap: no validation."""
    plain = _PLAIN_EMAIL.fullmatch(email)
    if plain is None or "xn--" in email.rpartition("@")[2]:
        return False
    local = plain.group(1)
    if local.isascii():
        return local.lower() not in _MAILBOX_NAMES
    return unicodedata.is_normalized("NFC", local) and local.lower() not in _MAILBOX_NAMES


def _candidate_key(candidate: str, *, fold_local_ascii: bool) -> bytes:
    """``match_key(candidate)``, without validating a candidate already normalized."""
    if not _is_normalized(candidate):
        return match_key(candidate, fold_local_ascii=fold_local_ascii)
    if fold_local_ascii:
        local, _, domain = candidate.rpartition("@")
        candidate = f"{local.translate(_ASCII_LOWER)}@{domain}"
    return candidate.encode("utf-8", "surrogatepass")
