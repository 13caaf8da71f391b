"""The middleware: ``request.user`` from the hub's token on every request."""

from __future__ import annotations

from typing import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

from ..errors import SharedSessionError
from .conf import get_consumer
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
