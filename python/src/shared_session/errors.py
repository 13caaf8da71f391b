"""One error class with stable codes, as the hub's own ``SharedSessionError``."""

from __future__ import annotations

from typing import Optional

#: Every code this package raises, with the HTTP status it stands for.
#: 4xx codes mean "no usable credential"; 5xx ones mean "cannot tell now".
STATUS = {
    "ERR_CONFIG_INVALID": 500,
    "ERR_NOT_AUTHENTICATED": 401,
    "ERR_COOKIE_DUPLICATE": 401,
    "ERR_TOKEN_MALFORMED": 400,
    "ERR_TOKEN_TYPE": 401,
    "ERR_TOKEN_ALGORITHM": 401,
    "ERR_TOKEN_KEY_UNKNOWN": 401,
    "ERR_TOKEN_SIGNATURE": 401,
    "ERR_TOKEN_ISSUER": 401,
    "ERR_TOKEN_AUDIENCE": 401,
    "ERR_TOKEN_EXPIRED": 401,
    "ERR_TOKEN_NOT_YET_VALID": 401,
    "ERR_TOKEN_CLAIM_INVALID": 401,
    "ERR_TOKEN_REVOKED": 401,
    "ERR_TOKEN_UNCONFIRMED": 401,
    "ERR_CONFIRMATION_STATE": 400,
    "ERR_CONFIRMATION_INVALID": 400,
    "ERR_LOGOUT_TOKEN_INVALID": 400,
    "ERR_LOGOUT_TOKEN_REPLAYED": 400,
    "ERR_LOGOUT_DISABLED": 404,
    "ERR_HUB_UNAVAILABLE": 503,
    "ERR_STORE_UNAVAILABLE": 503,
}


class SharedSessionError(Exception):
    """A refusal with a stable ``code`` (switch on it) and its HTTP ``status``.

    Example::

        try:
            claims = verify_login_token(token, keys, settings)
        except SharedSessionError as err:
            if err.status >= 500:
                raise            # the hub is down: a 503, never "signed out"
            log.info("not signed in: %s", err.code)
    """

    def __init__(self, code: str, message: str, detail: Optional[str] = None) -> None:
        if code not in STATUS:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.status = STATUS[code]
        self.detail = detail

    def __repr__(self) -> str:
        return f"SharedSessionError({self.code!r}, {str(self)!r})"
