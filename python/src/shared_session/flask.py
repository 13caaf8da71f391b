"""Flask integration: a decorator for views that need the hub's sign-in, and the back-channel logout route."""

from __future__ import annotations

import functools
import urllib.parse
from typing import Any, Callable, Optional

from flask import Flask, Response, g, make_response, request

from .consumer import Consumer, Reply, SignedIn
from .errors import SharedSessionError
from .settings import HubSettings


class SharedSession:
    """Signs a Flask app in and out with the hub.

    ``@shared.login_required`` on a page sends visitors without a valid token
    to the hub's sign-in (and back); with ``api=True`` they get 401 JSON;
    with ``optional=True`` they come in as guests (``current()`` is None).
    A hub that cannot be reached is a 503 (a page, or JSON for ``api``). The
    back-channel logout endpoint is mounted at ``logout_path`` (POST) when
    ``client_id`` is set; after it, that session's tokens are refused at once.

    Example::

        app = Flask(__name__)
        shared = SharedSession(app, HubSettings.from_env(), find_or_create_user=users.find_or_create)

        @app.get("/")
        @shared.login_required
        def home():
            return f"Hello, {shared.current().user.name}"
    """

    def __init__(self, app: Optional[Flask] = None, settings: Optional[HubSettings] = None, *, consumer: Optional[Consumer] = None,
                 logout_path: str = "/auth/backchannel-logout", **consumer_options: Any) -> None:
        if consumer is None:
            if settings is None:
                raise SharedSessionError("ERR_CONFIG_INVALID", "SharedSession needs settings (HubSettings) or a consumer", "settings")
            consumer = Consumer(settings, **consumer_options)
        self.consumer = consumer
        self.logout_path = logout_path
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Mount the back-channel logout route (when ``client_id`` is set).

        Example::

            shared = SharedSession(settings=settings); shared.init_app(app)
        """
        if self.consumer.settings.client_id is not None:
            app.add_url_rule(self.logout_path, "shared_session_backchannel_logout", self._backchannel_logout, methods=["POST"])
        app.extensions["shared_session"] = self

    def current(self) -> Optional[SignedIn]:
        """The signed-in visitor of this request (claims and local user), or None for a guest.

        Example::

            shared.current().claims["username"]
        """
        return g.get("shared_session")

    def login_required(self, view: Optional[Callable] = None, *, api: bool = False, optional: bool = False) -> Callable:
        """Decorate a view so it runs only for a signed-in visitor (or a guest, with ``optional``).

        Example::

            @app.get("/api/me")
            @shared.login_required(api=True)
            def me(): ...
        """
        if view is None:
            return lambda v: self.login_required(v, api=api, optional=optional)

        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Cookie")
            path = _path_and_query()
            try:
                g.shared_session = self.consumer.authenticate(header)
            except SharedSessionError as err:
                if err.status >= 500:
                    return _to_flask(self.consumer.hub_unavailable(err, api=api, retry_path=path))
                if not optional:
                    return _to_flask(self.consumer.not_signed_in(err, method=request.method, path_and_query=path, cookie_header=header, api=api))
                g.shared_session = None
            response = make_response(view(*args, **kwargs))
            for name, value in (self.consumer.signed_in_headers(header) if g.shared_session else [("Cache-Control", "no-store"), ("Vary", "Cookie")]):
                if name == "Set-Cookie":
                    response.headers.add(name, value)
                else:
                    response.headers[name] = value
            return response

        return wrapped

    def _backchannel_logout(self) -> Response:
        return _to_flask(self.consumer.backchannel_logout(
            method=request.method, content_type=request.content_type, content_length=request.content_length,
            logout_tokens=lambda: request.form.getlist("logout_token"),
        ))


def _path_and_query() -> str:
    # request.path is decoded: encode it again (a literal '%' included) so the return URL is the one the browser asked for.
    path = urllib.parse.quote(request.path, safe="/:@!$&'()*+,;=-._~")
    query = request.query_string.decode("latin-1")
    return path + (f"?{query}" if query else "")


def _to_flask(reply: Reply) -> Response:
    response = Response(reply.body, status=reply.status, content_type=reply.content_type)
    for name, value in reply.headers:
        response.headers.add(name, value)
    return response
