"""The blog's pages: one for members, one for everybody, and a JSON API."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from shared_session.django.conf import get_consumer
from shared_session.django.views import api_login_required


@login_required
def home(request: HttpRequest) -> HttpResponse:
    settings = get_consumer().settings
    return render(request, "home.html", {"user": request.user, "logout_url": settings.logout_url, "home": settings.app_origin + "/"})


def public(request: HttpRequest) -> HttpResponse:
    who = request.user.get_username() if request.user.is_authenticated else "guest"
    return HttpResponse(f"Hello, {who}", content_type="text/plain; charset=utf-8")


@api_login_required
def me(request: HttpRequest) -> JsonResponse:
    user, claims = request.user, request.shared_session.claims
    return JsonResponse({"local_id": user.pk, "username": user.username, "email": user.email, "iss": claims["iss"], "sub": claims["sub"], "sid": claims["sid"]})
