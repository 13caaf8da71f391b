import json
import unittest

from flask import Flask

from shared_session.flask import SharedSession

from .support import FakeHub, closed_url, login_claims, logout_claims


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
        return self.hub.key.sign(login_claims(**claims))

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
