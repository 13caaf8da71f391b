import json
import unittest
from urllib.parse import parse_qs, quote, urlsplit

from flask import Flask

from shared_session.flask import SharedSession

from .support import HUB, FakeHub, bound, closed_url, login_claims, logout_claims
from .test_confirm import NAVIGATE, confirmation


class FlaskIntegrationTest(unittest.TestCase):
    def setUp(self):
        self.hub = FakeHub()
        self.app = Flask("t")
        self.shared = SharedSession(self.app, self.hub.settings(), find_or_create_user=lambda c: {"name": c["username"]})

        @self.app.get("/page")
        @self.shared.login_required
        def page():
            return "hello " + self.shared.current().user["name"]

        @self.app.get("/api")
        @self.shared.login_required(api=True)
        def api():
            return {"name": self.shared.current().user["name"]}

        @self.app.get("/open")
        @self.shared.login_required(optional=True)
        def open_page():
            who = self.shared.current()
            return "hello " + (who.user["name"] if who else "guest")

        self.client = self.app.test_client(use_cookies=False)

    def tearDown(self):
        self.hub.close()

    def token(self, **claims):
        """A token and the binding of a browser in which the hub confirmed its session."""
        return self.hub.key.sign(login_claims(**claims)) + "; " + bound(claims.get("sid", "sid-1"))

    def get(self, path, cookie=None):
        return self.client.get(path, headers={"Cookie": cookie} if cookie else {})

    def test_signed_in(self):
        cookie = "ss-token=" + self.token()
        self.assertEqual(self.get("/page", cookie).text, "hello alice")
        self.assertEqual(self.get("/api", cookie).json, {"name": "alice"})
        response = self.get("/open", cookie)
        self.assertEqual((response.text, response.headers["Cache-Control"]), ("hello alice", "no-store"))

    def test_not_signed_in(self):
        page = self.get("/page?x=%2F1")
        self.assertEqual(page.status_code, 302)
        self.assertTrue(page.headers["Location"].endswith("%2Fpage%3Fx%3D%252F1"), page.headers["Location"])
        api = self.get("/api")
        self.assertEqual((api.status_code, api.json), (401, {"error": "ERR_NOT_AUTHENTICATED"}))
        self.assertEqual(self.get("/open").text, "hello guest")
        self.assertEqual(self.get("/open", "ss-token=" + self.token(aud="x")).text, "hello guest")

    def test_the_bounce_marker_is_cleared_once_signed_in(self):
        response = self.get("/page", "ss-consumer-bounce=1; ss-token=" + self.token())
        self.assertEqual(response.status_code, 200)
        self.assertIn("ss-consumer-bounce=; Max-Age=0", response.headers.get("Set-Cookie"))

    def test_the_back_channel_route_is_mounted_with_a_client_id_only(self):
        token = self.hub.key.sign(logout_claims(sid="sid-1"), typ="logout+jwt")
        response = self.client.post("/auth/backchannel-logout", data={"logout_token": token})
        self.assertEqual((response.status_code, response.headers["Cache-Control"]), (200, "no-store"))
        self.assertEqual(self.get("/api", "ss-token=" + self.token(sid="sid-1")).json, {"error": "ERR_TOKEN_REVOKED"})
        huge = self.client.post("/auth/backchannel-logout", data={"logout_token": token, "pad": "x" * 70_000})
        self.assertEqual((huge.status_code, huge.json["code"]), (400, "ERR_LOGOUT_TOKEN_INVALID"))
        bare = Flask("bare")
        SharedSession(bare, self.hub.settings(client_id=None))
        self.assertEqual(bare.test_client().post("/auth/backchannel-logout", data={"logout_token": token}).status_code, 404)

    def test_token_confirmation_one_round_trip_through_the_callback_route(self):
        token = "ss-token=" + self.hub.key.sign(login_claims(sid="sid-1"))
        self.assertEqual(self.client.get("/api", headers={"Cookie": token}).json, {"error": "ERR_TOKEN_UNCONFIRMED"})
        self.assertEqual(self.client.get("/open", headers={"Cookie": token}).text, "hello guest", "optional, not a navigation: a guest")
        start = self.client.get("/page?x=1", headers={**NAVIGATE, "Cookie": token})
        self.assertEqual(start.status_code, 302)
        to_hub = urlsplit(start.headers["Location"])
        self.assertEqual(f"{to_hub.scheme}://{to_hub.netloc}{to_hub.path}", HUB + "/confirm")
        query = parse_qs(to_hub.query)
        self.assertEqual(query["return"], [self.hub.settings().app_origin + "/_session/confirm?return=%2Fpage%3Fx%3D1"])
        state = start.headers.get("Set-Cookie").split(";")[0]
        self.assertEqual(state, "ss-confirm=" + query["state"][0])
        callback = urlsplit(query["return"][0])
        answer = confirmation(self.hub.key, nonce=query["state"][0], sid="sid-1")
        done = self.client.get(f"{callback.path}?{callback.query}&ss-confirm={quote(answer)}", headers={**NAVIGATE, "Cookie": f"{token}; {state}"})
        self.assertEqual((done.status_code, done.headers["Location"]), (302, "/page?x=1"))
        binding = [c.split(";")[0] for c in done.headers.getlist("Set-Cookie") if c.startswith("ss-bound=")]
        self.assertEqual(binding, [bound("sid-1", "sid-1")])
        self.assertEqual(self.client.get("/page?x=1", headers={**NAVIGATE, "Cookie": f"{token}; {binding[0]}"}).text, "hello alice")
        replay = self.client.get(f"{callback.path}?{callback.query}&ss-confirm={quote(answer)}", headers={**NAVIGATE, "Cookie": token})
        self.assertEqual(replay.status_code, 400, "another browser (no state cookie) cannot use the answer")
        self.assertIn("ERR_CONFIRMATION_STATE", replay.text)
        self.assertEqual(replay.headers.get("Set-Cookie"), None)
        self.assertEqual(self.client.get("/open", headers={**NAVIGATE, "Cookie": token}).status_code, 302, "optional views confirm on a navigation too")

    def test_confirm_false_mounts_no_callback_and_trusts_the_parent_domain(self):
        trusting = Flask("trusting")
        shared = SharedSession(trusting, self.hub.settings(), confirm=False)
        trusting.add_url_rule("/api", "api", shared.login_required(lambda: shared.current().claims["username"], api=True))
        client = trusting.test_client(use_cookies=False)
        self.assertEqual(client.get("/_session/confirm").status_code, 404)
        self.assertEqual(client.get("/api", headers={"Cookie": "ss-token=" + self.hub.key.sign(login_claims())}).text, "alice")
        self.assertEqual(self.client.get("/_session/confirm", headers=NAVIGATE).status_code, 400, "mounted by default")

    def test_a_hub_that_is_down(self):
        down = Flask("down")
        shared = SharedSession(down, self.hub.settings(jwks_url=closed_url() + "/jwks", timeout_seconds=1))
        down.add_url_rule("/page", "page", shared.login_required(lambda: "never"))
        down.add_url_rule("/api", "api", shared.login_required(lambda: "never", api=True))
        client = down.test_client(use_cookies=False)
        with self.assertLogs("shared_session", "ERROR"):
            page = client.get("/page", headers={"Cookie": "ss-token=" + self.token()})
        self.assertEqual(page.status_code, 503)
        self.assertIn("Sign-in is unavailable", page.text)
        with self.assertLogs("shared_session", "ERROR"):
            api = client.get("/api", headers={"Cookie": "ss-token=" + self.token()})
        self.assertEqual((api.status_code, json.loads(api.text)), (503, {"error": "ERR_HUB_UNAVAILABLE"}))


if __name__ == "__main__":
    unittest.main()
