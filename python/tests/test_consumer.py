import json
import unittest

from shared_session import BOUNCE_COOKIE, Consumer, SharedSessionError

from .support import APP, HUB, FakeHub, bound, closed_url, login_claims, logout_claims


class ConsumerTest(unittest.TestCase):
    def setUp(self):
        self.hub = FakeHub()
        self.made = []
        self.logouts = []

        def find_or_create(claims):
            self.made.append((claims["iss"], claims["sub"]))
            return {"id": len(self.made), "sub": claims["sub"]}

        self.consumer = Consumer(self.hub.settings(), find_or_create_user=find_or_create,
                                 on_logout=lambda iss, sid, sub: self.logouts.append((iss, sid, sub)))

    def tearDown(self):
        self.hub.close()

    def cookie(self, **claims):
        # A browser in which the hub confirmed the token's session (tests/test_confirm.py: how it gets there).
        return "theme=dark; ss-token=" + self.hub.key.sign(login_claims(**claims)) + "; " + bound(claims.get("sid", "sid-1"))

    def refused(self, header):
        with self.assertRaises(SharedSessionError) as caught:
            self.consumer.authenticate(header)
        return caught.exception.code

    def test_authenticate_hands_the_claims_to_the_apps_hook(self):
        auth = self.consumer.authenticate(self.cookie())
        self.assertEqual(auth.claims["username"], "alice")
        self.assertEqual(auth.user, {"id": 1, "sub": "u_42"})
        self.assertEqual(self.made, [(HUB, "u_42")])

    def test_no_cookie_and_two_cookies(self):
        self.assertEqual(self.refused(None), "ERR_NOT_AUTHENTICATED")
        self.assertEqual(self.refused("theme=dark"), "ERR_NOT_AUTHENTICATED")
        one = self.cookie()
        self.assertEqual(self.refused(one + "; " + one.split("; ")[1]), "ERR_COOKIE_DUPLICATE")
        self.assertEqual(self.made, [], "the hook never ran for a refused visitor")

    def test_a_back_channel_logout_by_sid_ends_that_session_at_once(self):
        self.consumer.authenticate(self.cookie(sid="phone"))
        claims = self.consumer.receive_logout(self.hub.key.sign(logout_claims(sid="phone"), typ="logout+jwt"))
        self.assertEqual(claims["sid"], "phone")
        self.assertEqual(self.refused(self.cookie(sid="phone")), "ERR_TOKEN_REVOKED")
        self.assertEqual(self.consumer.authenticate(self.cookie(sid="laptop")).claims["sid"], "laptop")
        self.assertEqual(self.logouts, [(HUB, "phone", "u_42")])

    def test_a_back_channel_logout_by_sub_ends_older_sessions_of_that_user(self):
        token = self.hub.key.sign(logout_claims(sid=None), typ="logout+jwt")
        self.consumer.receive_logout(token)
        iat = json.loads(__import__("base64").urlsafe_b64decode(token.split(".")[1] + "==").decode())["iat"]
        self.assertEqual(self.refused(self.cookie(sid="any", iat=iat)), "ERR_TOKEN_REVOKED")
        self.assertEqual(self.consumer.authenticate(self.cookie(iat=iat + 1)).claims["sub"], "u_42")
        self.assertEqual(self.consumer.authenticate(self.cookie(sub="u_7", iat=iat - 5)).claims["sub"], "u_7")

    def test_logout_tokens_come_from_the_hubs_oidc_issuer_which_carries_its_base_path(self):
        consumer = Consumer(self.hub.settings(hub_base_path="/sso"))
        self.assertEqual(consumer.settings.logout_issuer, HUB + "/sso")
        with self.assertRaises(SharedSessionError) as caught:
            consumer.receive_logout(self.hub.key.sign(logout_claims(sid="s-base"), typ="logout+jwt"))
        self.assertEqual(caught.exception.code, "ERR_TOKEN_ISSUER")
        consumer.receive_logout(self.hub.key.sign(logout_claims(sid="s-base", iss=HUB + "/sso"), typ="logout+jwt"))
        with self.assertRaises(SharedSessionError) as caught:
            consumer.authenticate("ss-token=" + self.hub.key.sign(login_claims(sid="s-base")))
        self.assertEqual(caught.exception.code, "ERR_TOKEN_REVOKED", "the login token (iss without the base path) of that session is refused")

    def test_the_endpoint_answers_as_the_specification_says(self):
        form = "application/x-www-form-urlencoded"
        token = self.hub.key.sign(logout_claims(), typ="logout+jwt")
        ok = self.consumer.backchannel_logout(method="POST", content_type=form + "; charset=utf-8", logout_tokens=[token])
        self.assertEqual(ok.status, 200)
        self.assertIn(("Cache-Control", "no-store"), ok.headers)
        replay = self.consumer.backchannel_logout(method="POST", content_type=form, logout_tokens=[token])
        self.assertEqual((replay.status, json.loads(replay.body)["error"], json.loads(replay.body)["code"]), (400, "invalid_request", "ERR_LOGOUT_TOKEN_REPLAYED"))
        self.assertIn(("Cache-Control", "no-store"), replay.headers)
        self.assertEqual(self.consumer.backchannel_logout(method="GET", content_type=None, logout_tokens=[]).status, 405)
        self.assertEqual(self.consumer.backchannel_logout(method="POST", content_type="application/json", logout_tokens=[token]).status, 400)
        self.assertEqual(self.consumer.backchannel_logout(method="POST", content_type=form, logout_tokens=[]).status, 400)
        self.assertEqual(self.consumer.backchannel_logout(method="POST", content_type=form, logout_tokens=[token, token]).status, 400)

    def test_keys_that_cannot_be_fetched_are_a_503_for_the_hub_to_retry(self):
        consumer = Consumer(self.hub.settings(jwks_url=closed_url() + "/jwks", timeout_seconds=1))
        reply = consumer.backchannel_logout(method="POST", content_type="application/x-www-form-urlencoded", logout_tokens=["a.b.c"])
        self.assertEqual(reply.status, 400, "a malformed token is refused before any key is needed")
        token = self.hub.key.sign(logout_claims(), typ="logout+jwt")
        reply = consumer.backchannel_logout(method="POST", content_type="application/x-www-form-urlencoded", logout_tokens=[token])
        self.assertEqual(reply.status, 503)

    def test_sign_in_url_and_return_url_never_leave_the_app(self):
        self.assertEqual(self.consumer.sign_in_url("/w/Home?rev=2&q=a%20b"),
                         f"{HUB}/refresh?return=" + "http%3A%2F%2Fwiki.acme.localhost%3A5000%2Fw%2FHome%3Frev%3D2%26q%3Da%2520b")
        for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example", "evil", "/a\nb", ""):
            with self.subTest(evil=evil):
                self.assertEqual(self.consumer.return_url(evil), APP + "/")

    def test_not_signed_in_redirects_a_page_once_then_explains(self):
        err = SharedSessionError("ERR_TOKEN_AUDIENCE", "wrong audience")
        first = self.consumer.not_signed_in(err, method="GET", path_and_query="/x", cookie_header=None, api=False)
        self.assertEqual(first.status, 302)
        self.assertEqual(dict(first.headers)["Location"], self.consumer.sign_in_url("/x"))
        marker = [v for k, v in first.headers if k == "Set-Cookie"][0]
        self.assertTrue(marker.startswith(BOUNCE_COOKIE + "=1;") and "HttpOnly" in marker and "Max-Age=20" in marker, marker)
        self.assertNotIn("Secure", marker, "an http app: WebKit would drop a Secure cookie")
        again = self.consumer.not_signed_in(err, method="GET", path_and_query="/x", cookie_header=BOUNCE_COOKIE + "=1", api=False)
        self.assertEqual(again.status, 401)
        self.assertIn("ERR_TOKEN_AUDIENCE", again.body)
        self.assertIn("Max-Age=0", [v for k, v in again.headers if k == "Set-Cookie"][0])
        for method, api in (("POST", False), ("GET", True)):
            reply = self.consumer.not_signed_in(err, method=method, path_and_query="/x", cookie_header=None, api=api)
            self.assertEqual((reply.status, json.loads(reply.body)), (401, {"error": "ERR_TOKEN_AUDIENCE"}))

    def test_hub_unavailable_is_an_honest_page_or_json(self):
        err = SharedSessionError("ERR_HUB_UNAVAILABLE", "down")
        with self.assertLogs("shared_session", "ERROR"):
            page = self.consumer.hub_unavailable(err, api=False, retry_path='/a?"<x>')
        self.assertEqual(page.status, 503)
        self.assertIn("Sign-in is unavailable", page.body)
        self.assertNotIn("<x>", page.body, "escaped")
        with self.assertLogs("shared_session", "ERROR"):
            api = self.consumer.hub_unavailable(err, api=True)
        self.assertEqual((api.status, json.loads(api.body)), (503, {"error": "ERR_HUB_UNAVAILABLE"}))
        self.assertIn(("Retry-After", "5"), api.headers)

    def test_an_ended_sessions_store_that_fails_is_a_503_not_a_pass(self):
        class Broken:
            def __getattr__(self, name):
                def fail(*args):
                    raise OSError("database is locked")
                return fail

        consumer = Consumer(self.hub.settings(), ended=Broken())
        with self.assertRaises(SharedSessionError) as caught:
            consumer.authenticate(self.cookie())
        self.assertEqual((caught.exception.code, caught.exception.status), ("ERR_STORE_UNAVAILABLE", 503))
        token = self.hub.key.sign(logout_claims(), typ="logout+jwt")
        reply = consumer.backchannel_logout(method="POST", content_type="application/x-www-form-urlencoded", logout_tokens=[token])
        self.assertEqual(reply.status, 503, "the hub retries")
        with self.assertLogs("shared_session", "ERROR"):
            page = consumer.hub_unavailable(caught.exception, api=True)
        self.assertEqual(json.loads(page.body), {"error": "ERR_STORE_UNAVAILABLE"})

    def test_hooks_must_be_functions(self):
        with self.assertRaises(SharedSessionError):
            Consumer(self.hub.settings(), find_or_create_user="users.find")


if __name__ == "__main__":
    unittest.main()
