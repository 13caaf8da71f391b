import json
import os
import tempfile
import unittest
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import django
from django.conf import settings

from .support import AUDIENCE, HUB, FakeHub, bound, login_claims, logout_claims
from .test_confirm import confirmation

HUB_STAND_IN = FakeHub()
DB = tempfile.NamedTemporaryFile(suffix=".sqlite", delete=False)
if not settings.configured:
    settings.configure(
        SECRET_KEY="unit-tests-only",
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "shared_session.django"],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "shared_session.django.middleware.SharedSessionMiddleware",
        ],
        ROOT_URLCONF=__name__,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB.name}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        LOGIN_URL="shared_session:sign-in",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        SHARED_SESSION={"HUB": HUB, "APP_ORIGIN": "http://blog.acme.localhost:5001", "AUDIENCE": AUDIENCE, "CLIENT_ID": "wiki",
                        "JWKS_URL": HUB_STAND_IN.url + "/.well-known/jwks.json", "REVOCATION": "off"},
    )
    django.setup()

from django.contrib.auth.decorators import login_required  # noqa: E402 (needs settings)
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import include, path  # noqa: E402

from shared_session.django.conf import build_consumer  # noqa: E402
from shared_session.django.views import api_login_required  # noqa: E402

urlpatterns = [
    path("page", login_required(lambda request: HttpResponse("hello " + request.user.username))),
    path("api", api_login_required(lambda request: JsonResponse({"id": request.user.pk, "username": request.user.username}))),
    path("auth/", include("shared_session.django.urls")),
]


def tearDownModule():
    HUB_STAND_IN.close()
    os.unlink(DB.name)


class DjangoIntegrationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        call_command("migrate", verbosity=0)

    def setUp(self):
        self.client = Client()

    def get(self, url, **claims):
        # A browser in which the hub confirmed the token's session.
        return self.client.get(url, HTTP_COOKIE="ss-token=" + HUB_STAND_IN.key.sign(login_claims(**claims)) + "; " + bound(claims.get("sid", "sid-1")))

    def test_the_user_is_found_or_created_by_iss_and_sub(self):
        from django.contrib.auth import get_user_model

        get_user_model().objects.create(username="bob")  # a local bob made in the admin
        first = self.get("/api", sub="u_bob", username="bob").json()
        self.assertNotEqual(first["username"], "bob", "never matched by username")
        self.assertTrue(first["username"].startswith("bob-"))
        self.assertEqual(self.get("/api", sub="u_bob", username="bob", email="new@acme.example").json()["id"], first["id"])
        self.assertEqual(get_user_model().objects.get(pk=first["id"]).email, "new@acme.example")
        other = self.get("/api", sub="u_other", username="bob").json()
        self.assertNotEqual(other["id"], first["id"])
        self.assertEqual(self.get("/page", sub="u_bob", username="bob").content.decode(), "hello " + first["username"])

    def test_login_required_goes_through_the_sign_in_view_to_the_hub(self):
        page = self.client.get("/page?x=1")
        self.assertEqual((page.status_code, page["Location"]), (302, "/auth/sign-in?next=/page%3Fx%3D1"))
        hop = self.client.get(page["Location"])
        self.assertEqual(hop.status_code, 302)
        self.assertEqual(hop["Location"], HUB + "/refresh?return=http%3A%2F%2Fblog.acme.localhost%3A5001%2Fpage%3Fx%3D1")
        self.assertEqual(hop.cookies["ss-consumer-bounce"].value, "1")
        again = self.client.get(page["Location"])
        self.assertEqual(again.status_code, 401, "the marker came back: a page, not a loop")

    def test_api_views_answer_401_json(self):
        response = self.client.get("/api")
        self.assertEqual((response.status_code, json.loads(response.content)), (401, {"error": "ERR_NOT_AUTHENTICATED"}))

    def test_back_channel_logout(self):
        self.assertEqual(self.get("/api", sid="tablet").status_code, 200)
        token = HUB_STAND_IN.key.sign(logout_claims(sid="tablet", aud="wiki"), typ="logout+jwt")
        form = "application/x-www-form-urlencoded"
        multipart = self.client.post("/auth/backchannel-logout", {"logout_token": token})
        self.assertEqual(json.loads(multipart.content)["code"], "ERR_LOGOUT_TOKEN_INVALID", "form-urlencoded only, as the specification says")
        response = self.client.post("/auth/backchannel-logout", urlencode({"logout_token": token}), content_type=form)
        self.assertEqual(response.status_code, 200)
        self.assertIn("no-store", response["Cache-Control"])
        self.assertEqual(self.get("/api", sid="tablet").json(), {"error": "ERR_TOKEN_REVOKED"})
        replay = self.client.post("/auth/backchannel-logout", urlencode({"logout_token": token}), content_type=form)
        self.assertEqual(json.loads(replay.content)["code"], "ERR_LOGOUT_TOKEN_REPLAYED")
        self.assertEqual(self.client.get("/auth/backchannel-logout").status_code, 405)

    def test_token_confirmation_one_round_trip_through_the_confirm_view(self):
        token = "ss-token=" + HUB_STAND_IN.key.sign(login_claims(sid="sid-dj", sub="u_dj", username="dj"))
        navigate = {"HTTP_SEC_FETCH_MODE": "navigate", "HTTP_SEC_FETCH_DEST": "document", "HTTP_ACCEPT": "text/html"}
        api = self.client.get("/api", HTTP_COOKIE=token)
        self.assertEqual((api.status_code, json.loads(api.content)), (401, {"error": "ERR_TOKEN_UNCONFIRMED"}))
        start = self.client.get("/page?x=1", HTTP_COOKIE=token, **navigate)
        self.assertEqual(start.status_code, 302)
        query = parse_qs(urlsplit(start["Location"]).query)
        self.assertTrue(start["Location"].startswith(HUB + "/confirm?"), start["Location"])
        self.assertEqual(query["return"], ["http://blog.acme.localhost:5001/auth/confirm?return=%2Fpage%3Fx%3D1"])
        state = start.cookies["ss-confirm"]
        self.assertEqual((state.value, state["max-age"], state["httponly"], state["samesite"]), (query["state"][0], "120", True, "Lax"))
        answer = confirmation(HUB_STAND_IN.key, nonce=state.value, sid="sid-dj", aud="http://blog.acme.localhost:5001")
        callback = urlsplit(query["return"][0])
        done = self.client.get(f"{callback.path}?{callback.query}&ss-confirm={quote(answer)}", HTTP_COOKIE=f"{token}; ss-confirm={state.value}", **navigate)
        self.assertEqual((done.status_code, done["Location"]), (302, "/page?x=1"))
        self.assertEqual(done.cookies["ss-bound"].value, bound("sid-dj", "sid-dj").split("=", 1)[1])
        self.assertEqual(done.cookies["ss-confirm"]["max-age"], "0")
        page = self.client.get("/page?x=1", HTTP_COOKIE=f"{token}; ss-bound={done.cookies['ss-bound'].value}", **navigate)
        self.assertEqual((page.status_code, page.content.decode()), (200, "hello dj"))
        stolen = self.client.get(f"{callback.path}?{callback.query}&ss-confirm={quote(answer)}", HTTP_COOKIE=token, **navigate)
        self.assertEqual(stolen.status_code, 400, "no state cookie: another browser's link")
        self.assertIn(b"ERR_CONFIRMATION_STATE", stolen.content)
        self.assertNotIn("ss-bound", stolen.cookies)

    def test_bad_settings_are_improperly_configured(self):
        for config in (None, {"HUB": "nope"}, {"HUB": HUB, "APP_ORIGIN": "http://a.localhost", "AUDIENCE": "a", "FIND_OR_CREATE_USER": "no.such.module"}):
            with self.subTest(config=config):
                with self.assertRaises(ImproperlyConfigured):
                    build_consumer(config)


if __name__ == "__main__":
    unittest.main()
