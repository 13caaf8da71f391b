"""Token confirmation (docs/security.md, "Token-only apps confirm the token with
the hub"): any host under the parent domain can set the token cookie, so a
token is trusted in a browser only once the hub has vouched for its session
there. A "browser" here is the app's host-only cookies, the parent domain's
(the token) and the session it holds at the hub; the hub's ``/confirm`` is
played by :meth:`Browser.hub_confirm`, signing with the hub stand-in's key
exactly as src/hub/confirm.ts does (test/python/flask-confirm.test.ts runs
the real hub).
"""

import json
import time
import unittest
import uuid
from urllib.parse import parse_qs, quote, urlsplit

from shared_session import Consumer, SharedSessionError, sid_digest
from shared_session.confirm import CONFIRMATION_TYPE, confirm_cookies, is_top_level_navigation, local_path

from .support import APP, HUB, FakeHub, SigningKey, login_claims

NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Accept": "text/html"}


def confirmation(key, *, nonce, sid=None, aud=APP, iss=HUB, typ=CONFIRMATION_TYPE, lifetime=60, iat=None):
    iat = int(time.time()) if iat is None else iat
    claims = {"iss": iss, "aud": aud, "iat": iat, "exp": iat + lifetime, "jti": uuid.uuid4().hex, "nonce": nonce}
    if sid is not None:
        claims["sid"] = sid
    return key.sign(claims, typ=typ)


def set_cookies(reply):
    return {v.split("=", 1)[0]: v for k, v in reply.headers if k == "Set-Cookie"}


class Browser:
    """One browser: the app's host-only cookies, the parent domain's token, and its session at the hub."""

    def __init__(self, token=None, hub_sid=None):
        self.app = {}
        self.token = token
        self.hub_sid = hub_sid

    def cookie_header(self):
        pairs = [f"{k}={v}" for k, v in self.app.items()] + ([f"ss-token={self.token}"] if self.token else [])
        return "; ".join(pairs) or None

    def take(self, reply):
        for line in set_cookies(reply).values():
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in line or value == "":
                self.app.pop(name, None)
            else:
                self.app[name] = value

    def hub_confirm(self, key, url):
        """The hub's GET /confirm: an answer from its own session (never the token) to the app's callback."""
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == HUB + "/confirm", url
        callback = query["return"][0]
        jwt = confirmation(key, nonce=query["state"][0], sid=self.hub_sid, aud=f"{urlsplit(callback).scheme}://{urlsplit(callback).netloc}")
        return callback + "&ss-confirm=" + quote(jwt, safe="")


class ConfirmationTest(unittest.TestCase):
    def setUp(self):
        self.hub = FakeHub()
        self.made = []

        def find_or_create(claims):
            self.made.append(claims["username"])
            return claims["username"]

        self.find_or_create = find_or_create
        self.consumer = Consumer(self.hub.settings(jwks_min_refetch_seconds=0), find_or_create_user=find_or_create)

    def tearDown(self):
        self.hub.close()

    def token(self, username="alice", sid="sid-alice"):
        return self.hub.key.sign(login_claims(username=username, sub="u_" + username, sid=sid))

    def visit(self, browser, path="/t/1?page=2", consumer=None, headers=NAVIGATE):
        """Navigate to ``path`` as the browser does, following the app's and the hub's redirects.
        Returns (who the app saw or None, the last reply or None, the URLs visited)."""
        consumer = consumer or self.consumer
        hops, url = [], APP + path
        for _ in range(8):
            hops.append(url)
            parts = urlsplit(url)
            if url.startswith(HUB + "/confirm?"):
                url = browser.hub_confirm(self.hub.key, url)
                continue
            if url.startswith(HUB):
                return None, None, hops  # the hub's /refresh: sent to sign in
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.path == consumer.confirm_path:
                query = parse_qs(parts.query)
                reply = consumer.confirmation_callback(cookie_header=browser.cookie_header(), return_path=query.get("return", [None])[0],
                                                       confirmation=query.get("ss-confirm", [None])[0], html=True)
            else:
                try:
                    return consumer.authenticate(browser.cookie_header()), None, hops
                except SharedSessionError as err:
                    reply = consumer.not_signed_in(err, method="GET", path_and_query=local, cookie_header=browser.cookie_header(), api=False,
                                                   navigation=is_top_level_navigation("GET", headers))
            browser.take(reply)
            location = dict(reply.headers).get("Location")
            if reply.status != 302 or not location:
                return None, reply, hops
            url = location if location.startswith("http") else APP + location
        self.fail(f"a redirect loop: {hops}")

    def test_a_tossed_token_of_another_user_in_a_fresh_browser_is_never_signed_in(self):
        mallorys = self.token("mallory", "sid-mallory")
        victim = Browser(token=mallorys)  # set by evil.acme.localhost with Domain=acme.localhost
        who, reply, hops = self.visit(victim)
        self.assertIsNone(who)
        self.assertTrue(hops[1].startswith(HUB + "/confirm?"), hops)
        self.assertTrue(hops[-1].startswith(HUB + "/refresh?"), f"sent to sign in at the hub: {hops}")
        self.assertEqual(victim.app["ss-bound"], "-." + sid_digest("sid-mallory"), "the hub vouched for none; this token is recorded as refused")
        self.assertNotIn("ss-confirm", victim.app, "the state is cleared")
        self.assertEqual(self.made, [], "the app never made or found mallory")
        with self.assertRaises(SharedSessionError) as caught:
            self.consumer.authenticate(victim.cookie_header())
        self.assertEqual(caught.exception.code, "ERR_NOT_AUTHENTICATED", "refused: as if there were no token")
        again = self.visit(victim, "/t/2")[2]
        self.assertFalse(any("/confirm" in hop for hop in again), f"the same token never asks twice: {again}")

        # The control: an app that trusts the parent domain signs the victim in as mallory.
        trusting = Consumer(self.hub.settings(), find_or_create_user=self.find_or_create, confirm=False)
        self.assertEqual(trusting.authenticate(Browser(token=mallorys).cookie_header()).user, "mallory")

    def test_a_confirmed_browser_is_signed_in_after_one_round_trip_and_without_another(self):
        alice = Browser(token=self.token(), hub_sid="sid-alice")
        who, _, hops = self.visit(alice)
        self.assertEqual(who.claims["username"], "alice")
        self.assertEqual(len(hops), 4, f"page → hub /confirm → callback → page: {hops}")
        self.assertEqual(hops[-1], APP + "/t/1?page=2", "back on the page asked for, query kept")
        digest = sid_digest("sid-alice")
        self.assertEqual(alice.app, {"ss-bound": f"{digest}.{digest}"}, "the binding recorded, the state cleared")
        who, _, hops = self.visit(alice, "/t/3")
        self.assertEqual((who.user, len(hops)), ("alice", 1))
        # An API call from the same browser is signed in too.
        self.assertEqual(self.consumer.authenticate(alice.cookie_header()).user, "alice")

    def test_a_token_tossed_over_a_confirmed_one_is_refused_and_the_hub_is_asked_for_the_visitors_own(self):
        alice = Browser(token=self.token(), hub_sid="sid-alice")
        self.visit(alice)
        alice.token = self.token("mallory", "sid-mallory")
        who, _, hops = self.visit(alice, "/t/9")
        self.assertIsNone(who, "never mallory")
        self.assertTrue(hops[-1].startswith(HUB + "/refresh?"), f"the hub re-issues alice's own token: {hops}")
        self.assertEqual(alice.app["ss-bound"], f"{sid_digest('sid-alice')}.{sid_digest('sid-mallory')}")
        alice.token = self.token()  # what the hub's /refresh sets
        self.assertEqual(self.visit(alice, "/t/9")[0].user, "alice")

    def test_another_browsers_confirmation_is_refused(self):
        # Mallory's browser asks, and stops at the hub's answer: a callback URL vouching for her session.
        mallory = Browser(token=self.token("mallory", "sid-mallory"), hub_sid="sid-mallory")
        start = self.consumer.not_signed_in(SharedSessionError("ERR_TOKEN_UNCONFIRMED", "x"), method="GET", path_and_query="/",
                                            cookie_header=mallory.cookie_header(), api=False, navigation=True)
        callback = urlsplit(mallory.hub_confirm(self.hub.key, dict(start.headers)["Location"]))
        query = parse_qs(callback.query)
        victim = Browser(token=mallory.token)
        for label, state, code in (("no state cookie", None, "ERR_CONFIRMATION_STATE"), ("its own state", "A" * 22, "ERR_CONFIRMATION_INVALID")):
            with self.subTest(label):
                header = "; ".join(filter(None, [victim.cookie_header(), state and f"ss-confirm={state}"]))
                for html in (True, False):
                    with self.assertLogs("shared_session", "WARNING"):
                        reply = self.consumer.confirmation_callback(cookie_header=header, return_path="/", confirmation=query["ss-confirm"][0], html=html)
                    self.assertEqual(reply.status, 400)
                    self.assertNotIn("ss-bound", set_cookies(reply), "nothing recorded")
                    if html:
                        self.assertIn("Cannot confirm your sign-in", reply.body)
                        self.assertIn(code, reply.body)
                    else:
                        self.assertEqual(json.loads(reply.body), {"error": code})
        with self.assertRaises(SharedSessionError):
            self.consumer.authenticate(victim.cookie_header())
        self.assertEqual(self.made, [])

    def test_the_answer_must_be_the_hubs_for_this_app_and_this_browser(self):
        state = "S" * 22
        header = f"ss-confirm={state}; ss-token={self.token()}"
        key = self.hub.key
        stranger = SigningKey(kid=key.kid)
        cases = {
            "another app": confirmation(key, nonce=state, sid="sid-alice", aud="http://shop.acme.localhost:5000"),
            "another browser's state": confirmation(key, nonce="T" * 22, sid="sid-alice"),
            "another issuer": confirmation(key, nonce=state, sid="sid-alice", iss="http://auth.evil.localhost"),
            "expired": confirmation(key, nonce=state, sid="sid-alice", iat=int(time.time()) - 600),
            "a login token": self.token(),
            "another typ": confirmation(key, nonce=state, sid="sid-alice", typ="JWT"),
            "another key under the hub's kid": confirmation(stranger, nonce=state, sid="sid-alice"),
            "an empty sid": confirmation(key, nonce=state, sid=""),
            "not a JWT": "not-a-jwt",
            "none": None,
        }
        for label, jwt in cases.items():
            with self.subTest(label):
                with self.assertLogs("shared_session", "WARNING"):
                    reply = self.consumer.confirmation_callback(cookie_header=header, return_path="/", confirmation=jwt, html=False)
                self.assertEqual((reply.status, json.loads(reply.body)), (400, {"error": "ERR_CONFIRMATION_INVALID"}))
                self.assertNotIn("ss-bound", set_cookies(reply))
        good = self.consumer.confirmation_callback(cookie_header=header, return_path="/", confirmation=confirmation(key, nonce=state, sid="sid-alice"), html=False)
        self.assertEqual(good.status, 302)

    def test_a_rotated_key_is_fetched_once(self):
        state = "S" * 22
        header = f"ss-confirm={state}"
        ok = self.consumer.confirmation_callback(cookie_header=header, return_path="/", confirmation=confirmation(self.hub.key, nonce=state), html=False)
        self.assertEqual((ok.status, self.hub.hits["jwks"]), (302, 1))
        rotated = SigningKey()
        self.hub.keys.append(rotated)
        reply = self.consumer.confirmation_callback(cookie_header=header, return_path="/", confirmation=confirmation(rotated, nonce=state), html=False)
        self.assertEqual((reply.status, self.hub.hits["jwks"]), (302, 2))
        self.assertEqual(set_cookies(reply)["ss-bound"].split(";")[0], "ss-bound=-.-")

    def test_the_callback_returns_to_a_path_on_this_app_only(self):
        state = "S" * 22
        for back, expected in (("/t/1?a=b", "/t/1?a=b"), ("//evil.example/", "/"), ("/\\evil.example", "/"), ("https://evil.example/", "/"),
                               ("evil", "/"), ("/a\r\nSet-Cookie: x=y", "/"), (None, "/")):
            with self.subTest(back=back):
                reply = self.consumer.confirmation_callback(cookie_header=f"ss-confirm={state}", return_path=back,
                                                            confirmation=confirmation(self.hub.key, nonce=state), html=True)
                self.assertEqual((reply.status, dict(reply.headers)["Location"]), (302, expected))
        self.assertEqual(local_path("/x"), "/x")

    def test_a_second_tab_while_a_round_trip_is_in_flight_shares_its_state(self):
        err = SharedSessionError("ERR_TOKEN_UNCONFIRMED", "not yet")
        header = "ss-token=" + self.token() + "; ss-confirm=" + "S" * 22
        reply = self.consumer.not_signed_in(err, method="GET", path_and_query="/b", cookie_header=header, api=False, navigation=True)
        self.assertEqual(reply.status, 302)
        self.assertIn("state=" + "S" * 22, dict(reply.headers)["Location"])
        self.assertNotIn("Set-Cookie", dict(reply.headers))

    def test_api_calls_get_401_never_a_redirect(self):
        err = SharedSessionError("ERR_TOKEN_UNCONFIRMED", "not yet")
        header = "ss-token=" + self.token()
        cases = (
            ("an API view", dict(api=True, navigation=True, cookie_header=header)),
            ("a fetch() to a page", dict(api=False, navigation=False, cookie_header=header)),
        )
        for label, kwargs in cases:
            with self.subTest(label):
                reply = self.consumer.not_signed_in(err, method="GET", path_and_query="/", **kwargs)
                self.assertEqual((reply.status, json.loads(reply.body)), (401, {"error": "ERR_TOKEN_UNCONFIRMED"}))
                self.assertNotIn("Location", dict(reply.headers))
        with self.assertRaises(SharedSessionError) as caught:
            self.consumer.authenticate(header)
        self.assertEqual(caught.exception.code, "ERR_TOKEN_UNCONFIRMED")

    def test_what_a_top_level_navigation_is(self):
        self.assertTrue(is_top_level_navigation("GET", NAVIGATE))
        self.assertTrue(is_top_level_navigation("GET", {"Accept": "text/html,*/*"}), "a browser without Sec-Fetch-*")
        self.assertFalse(is_top_level_navigation("POST", NAVIGATE))
        self.assertFalse(is_top_level_navigation("GET", {"Sec-Fetch-Mode": "cors", "Accept": "text/html"}))
        self.assertFalse(is_top_level_navigation("GET", {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}))
        self.assertFalse(is_top_level_navigation("GET", {"Accept": "application/json"}))

    def test_two_cookies_of_one_name_count_as_none(self):
        token = self.token()
        binding = f"ss-bound={sid_digest('sid-alice')}.-"
        self.assertEqual(self.consumer.authenticate(f"ss-token={token}; {binding}").user, "alice")
        with self.assertRaises(SharedSessionError) as caught:
            self.consumer.authenticate(f"ss-token={token}; {binding}; {binding}")
        self.assertEqual(caught.exception.code, "ERR_TOKEN_UNCONFIRMED", "two bindings (one a sibling's) are none")
        state = "S" * 22
        with self.assertLogs("shared_session", "WARNING"):
            reply = self.consumer.confirmation_callback(cookie_header=f"ss-confirm={state}; ss-confirm={state}", return_path="/",
                                                        confirmation=confirmation(self.hub.key, nonce=state), html=False)
        self.assertEqual(json.loads(reply.body), {"error": "ERR_CONFIRMATION_STATE"})

    def test_the_round_trip_and_its_cookies_on_an_https_hub(self):
        consumer = Consumer(self.hub.settings(hub="https://auth.acme.com", app_origin="https://wiki.acme.com", audience="acme.com"))
        self.assertEqual(consumer.settings.cookie_name, "__Secure-ss-token")
        start = consumer.start_confirmation(path_and_query="/w/Home?rev=2", cookie_header=None, navigation=True)
        self.assertEqual(start.status, 302)
        location = urlsplit(dict(start.headers)["Location"])
        query = parse_qs(location.query)
        self.assertEqual(f"{location.scheme}://{location.netloc}{location.path}", "https://auth.acme.com/confirm")
        self.assertEqual(query["return"], ["https://wiki.acme.com/_session/confirm?return=%2Fw%2FHome%3Frev%3D2"])
        self.assertRegex(query["state"][0], r"^[A-Za-z0-9_-]{22}$")
        state = set_cookies(start)["__Host-ss-confirm"]
        self.assertEqual(state, f"__Host-ss-confirm={query['state'][0]}; Max-Age=120; Path=/; HttpOnly; SameSite=Lax; Secure")
        self.assertIn(("Referrer-Policy", "no-referrer"), start.headers)
        answer = confirmation(self.hub.key, nonce=query["state"][0], sid="s_1", iss="https://auth.acme.com", aud="https://wiki.acme.com")
        done = consumer.confirmation_callback(cookie_header=state.split(";")[0], return_path="/w/Home?rev=2", confirmation=answer, html=True)
        cookies = set_cookies(done)
        self.assertEqual(cookies["__Host-ss-bound"], "__Host-ss-bound=d87sGpw_bUoPp4lHIapW_G.-; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax; Secure")
        self.assertEqual(cookies["__Host-ss-confirm"], "__Host-ss-confirm=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax; Secure")
        self.assertEqual(dict(done.headers)["Location"], "/w/Home?rev=2")
        self.assertEqual(confirm_cookies(False).bound, "ss-bound")

    def test_sid_digest_is_the_one_every_language_computes(self):
        # Values from Node: createHash('sha256').update(s, 'utf8').digest('base64url').slice(0, 22)
        self.assertEqual(sid_digest("s_1"), "d87sGpw_bUoPp4lHIapW_G")
        self.assertEqual(sid_digest("sid-1"), "UANQ8jDvF9DeRBgtGgiJ9Z")
        self.assertEqual(sid_digest("é"), "SplVfkAzw1Od4utlRyAXyt")

    def test_confirm_false_trusts_the_parent_domain_and_bad_options_fail_at_start(self):
        trusting = Consumer(self.hub.settings(), confirm=False)
        self.assertEqual(trusting.authenticate("ss-token=" + self.token()).claims["username"], "alice")
        self.assertIsNone(trusting.start_confirmation(path_and_query="/", cookie_header=None, navigation=True))
        for options in ({"confirm": "yes"}, {"confirm_path": "confirm"}, {"confirm_path": "/a b"}):
            with self.subTest(options=options):
                with self.assertRaises(SharedSessionError) as caught:
                    Consumer(self.hub.settings(), **options)
                self.assertEqual(caught.exception.code, "ERR_CONFIG_INVALID")


if __name__ == "__main__":
    unittest.main()
