"""The middleware: ``request.user`` from the hub's token on every request."""

from __future__ import annotations

from typing import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

from ..confirm import is_top_level_navigation
from ..errors import SharedSessionError
from .conf import confirm_path, get_consumer
from .replies import to_django, wants_json


class SharedSessionMiddleware:
    """Put it after ``AuthenticationMiddleware``. With a valid token,
    ``request.user`` is the local user (from ``FIND_OR_CREATE_USER``) and
    ``request.shared_session`` the verified claims and user; otherwise
    ``request.shared_session`` is None, ``request.shared_session_error`` says
    why, and ``request.user`` stays what Django's own sign-in gave (anonymous
    for a hub visitor). A token that cannot be checked because the hub is down
    is a 503 (a page, or JSON for a client that does not accept HTML), never an
    anonymous visitor. Signed-in responses are ``Cache-Control: private, no-store``.
    A page navigation with a token the hub has not yet confirmed in this
    browser goes through the hub's ``/confirm`` once and back through
    ``shared_session:confirm`` (``SHARED_SESSION["CONFIRM"] = False`` turns
    this off); other requests see ``ERR_TOKEN_UNCONFIRMED`` and no user.

    Example::

        MIDDLEWARE = [..., "django.contrib.auth.middleware.AuthenticationMiddleware",
                      "shared_session.django.middleware.SharedSessionMiddleware", ...]
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        get_consumer()  # bad settings fail at start-up, not on the first request

    def __call__(self, request: HttpRequest) -> HttpResponse:
        consumer = get_consumer()
        header = request.META.get("HTTP_COOKIE")
        request.shared_session = None
        request.shared_session_error = None
        try:
            auth = consumer.authenticate(header)
        except SharedSessionError as err:
            if err.status >= 500:
                return to_django(consumer.hub_unavailable(err, api=wants_json(request), retry_path=request.get_full_path()))
            if err.code == "ERR_TOKEN_UNCONFIRMED":
                callback = confirm_path()
                if request.path != callback:
                    start = consumer.start_confirmation(path_and_query=request.get_full_path(), cookie_header=header,
                                                        navigation=is_top_level_navigation(request.method or "", request.headers),
                                                        callback_path=callback)
                    if start is not None:
                        return to_django(start)
            request.shared_session_error = err
            return self.get_response(request)
        request.shared_session = auth
        request.user = auth.user
        response = self.get_response(request)
        for name, value in consumer.signed_in_headers(header):
            if name == "Set-Cookie":
                response.delete_cookie(value.split("=", 1)[0], path="/", samesite="Lax")
        patch_cache_control(response, private=True, no_store=True)
        patch_vary_headers(response, ["Cookie"])
        return response
