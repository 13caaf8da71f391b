"""Read the token cookie from the raw ``Cookie`` header, refusing duplicates."""

from __future__ import annotations

from typing import Optional

from .errors import SharedSessionError

#: Longer Cookie headers are not parsed at all (browsers send at most ~8 KiB).
MAX_COOKIE_HEADER = 16_384


def single_cookie(header: Optional[str], name: str) -> Optional[str]:
    """The value of cookie ``name``, or None when absent.

    Two cookies of that name in one request are no credential at all
    (ERR_COOKIE_DUPLICATE): any sibling host under the parent domain can set
    a second one with another Path or Domain, and which one a framework picks
    (Flask the first, Django the last) must never decide whose user this is.

    Example::

        single_cookie("theme=dark; __Secure-ss-token=eyJ...", "__Secure-ss-token")  # 'eyJ...'
        single_cookie("ss-token=a; ss-token=b", "ss-token")  # raises ERR_COOKIE_DUPLICATE
    """
    if not header or len(header) > MAX_COOKIE_HEADER:
        return None
    found = []
    for part in header.split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip() == name:
            found.append(value.strip())
    if len(found) > 1:
        raise SharedSessionError("ERR_COOKIE_DUPLICATE", f"{len(found)} cookies named {name} in one request: none is trusted", "cookie")
    if not found:
        return None
    value = found[0]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value or None
