"""Flask integration: a decorator for views that need the hub's sign-in, the token confirmation callback, and the back-channel logout route."""

from __future__ import annotations

import functools
import urllib.parse
from typing import Any, Callable, Optional

from flask import Flask, Response, g, make_response, request

from .confirm import CONFIRMATION_PARAM, is_top_level_navigation
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
    With token confirmation (``confirm=True``, the default) the callback is
    mounted at the consumer's ``confirm_path`` (GET ``/_session/confirm``), and
    a page navigation with a token the hub has not yet vouched for in this
    browser goes through the hub's ``/confirm`` once (API calls: 401
    ``ERR_TOKEN_UNCONFIRMED``; ``optional`` views: a guest).

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
        """Mount the back-channel logout route (when ``client_id`` is set) and the confirmation callback (unless ``confirm=False``).

        Example::

            shared = SharedSession(settings=settings); shared.init_app(app)
        """
        if self.consumer.settings.client_id is not None:
            app.add_url_rule(self.logout_path, "shared_session_backchannel_logout", self._backchannel_logout, methods=["POST"])
        if self.consumer.confirm:
            app.add_url_rule(self.consumer.confirm_path, "shared_session_confirm", self._confirm, methods=["GET"])
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
            navigation = is_top_level_navigation(request.method, request.headers)
            try:
                g.shared_session = self.consumer.authenticate(header)
            except SharedSessionError as err:
                if err.status >= 500:
                    return _to_flask(self.consumer.hub_unavailable(err, api=api, retry_path=path))
                if not optional:
                    return _to_flask(self.consumer.not_signed_in(err, method=request.method, path_and_query=path, cookie_header=header,
                                                                 api=api, navigation=navigation))
                if err.code == "ERR_TOKEN_UNCONFIRMED" and not api:
                    start = self.consumer.start_confirmation(path_and_query=path, cookie_header=header, navigation=navigation)
                    if start is not None:
                        return _to_flask(start)
                g.shared_session = None
            response = make_response(view(*args, **kwargs))
            for name, value in (self.consumer.signed_in_headers(header) if g.shared_session else [("Cache-Control", "no-store"), ("Vary", "Cookie")]):
                if name == "Set-Cookie":
                    response.headers.add(name, value)
                else:
                    response.headers[name] = value
            return response

        return wrapped

    def _confirm(self) -> Response:
        return _to_flask(self.consumer.confirmation_callback(
            cookie_header=request.headers.get("Cookie"), return_path=request.args.get("return"),
            confirmation=request.args.get(CONFIRMATION_PARAM),
            html=is_top_level_navigation(request.method, request.headers) or "text/html" in request.headers.get("Accept", ""),
        ))

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
