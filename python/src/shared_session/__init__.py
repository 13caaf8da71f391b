"""Sign Python apps in and out with a shared-session hub.

Verify the hub's login token against its JWKS, find or create the local
user by (``iss``, ``sub``), send visitors to the hub's sign-in, check
revocation with the hub, confirm with the hub that a token is this
browser's (token confirmation), receive OpenID Connect back-channel logouts, and
answer honestly when the hub is down. Flask: :mod:`shared_session.flask`;
Django: :mod:`shared_session.django`.

Example::

    from shared_session import Consumer, HubSettings
    consumer = Consumer(HubSettings(hub="https://auth.acme.com", app_origin="https://wiki.acme.com", audience="acme.com"))
"""

from .confirm import CONFIRMATION_TYPE, confirm_cookies, sid_digest
from .consumer import BOUNCE_COOKIE, Consumer, Reply, SignedIn
from .cookies import single_cookie
from .ended import EndedSessions, MemoryEndedSessions, SqliteEndedSessions
from .errors import STATUS, SharedSessionError
from .keys import HubKeys, parse_jwks
from .login_token import LOGIN_TOKEN_TYPE, verify_login_token
from .logout_token import BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_TYPE, verify_logout_token
from .revocation import HubRevocation
from .settings import HubSettings

__version__ = "0.1.0"
__all__ = [
    "BACKCHANNEL_LOGOUT_EVENT", "BOUNCE_COOKIE", "CONFIRMATION_TYPE", "Consumer", "EndedSessions", "HubKeys", "HubRevocation", "HubSettings",
    "LOGIN_TOKEN_TYPE", "LOGOUT_TOKEN_TYPE", "MemoryEndedSessions", "Reply", "STATUS", "SharedSessionError", "SignedIn",
    "SqliteEndedSessions", "confirm_cookies", "parse_jwks", "sid_digest", "single_cookie", "verify_login_token", "verify_logout_token",
]
