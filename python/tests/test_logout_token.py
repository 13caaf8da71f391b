import time
import unittest

from shared_session import HubKeys, SharedSessionError, verify_logout_token

from .support import LOGOUT_EVENT, FakeHub, login_claims, logout_claims


class VerifyLogoutTokenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = FakeHub()
        cls.settings = cls.hub.settings(client_id="wiki")
        cls.keys = HubKeys(cls.settings.jwks_url)

    @classmethod
    def tearDownClass(cls):
        cls.hub.close()

    def sign(self, typ="logout+jwt", **claims):
        return self.hub.key.sign(logout_claims(**claims), typ=typ)

    def assertRefused(self, token, code):
        with self.assertRaises(SharedSessionError) as caught:
            verify_logout_token(token, self.keys, self.settings)
        self.assertEqual(caught.exception.code, code, str(caught.exception))

    def test_a_valid_logout_token(self):
        claims = verify_logout_token(self.sign(), self.keys, self.settings)
        self.assertEqual((claims["sid"], claims["sub"]), ("sid-1", "u_42"))
        for typ in ("application/logout+jwt", "Logout+JWT"):
            self.assertEqual(verify_logout_token(self.sign(typ=typ), self.keys, self.settings)["sid"], "sid-1")
        self.assertEqual(verify_logout_token(self.sign(sid=None), self.keys, self.settings)["sub"], "u_42")
        self.assertEqual(verify_logout_token(self.sign(sub=None), self.keys, self.settings)["sid"], "sid-1")

    def test_the_header_issuer_and_audience(self):
        self.assertRefused(self.sign(typ="JWT"), "ERR_TOKEN_TYPE")
        self.assertRefused(self.hub.key.sign(login_claims(aud="wiki")), "ERR_TOKEN_TYPE")
        self.assertRefused(self.sign(aud="forum"), "ERR_TOKEN_AUDIENCE")
        self.assertRefused(self.sign(aud="acme.localhost"), "ERR_TOKEN_AUDIENCE")
        self.assertRefused(self.sign(iss="https://evil.example"), "ERR_TOKEN_ISSUER")

    def test_the_claims_the_specification_requires(self):
        now = int(time.time())
        self.assertRefused(self.sign(events=None), "ERR_TOKEN_CLAIM_INVALID")
        self.assertRefused(self.sign(events=[LOGOUT_EVENT]), "ERR_LOGOUT_TOKEN_INVALID")
        self.assertRefused(self.sign(events={LOGOUT_EVENT: True}), "ERR_LOGOUT_TOKEN_INVALID")
        self.assertRefused(self.sign(events={"http://schemas.openid.net/event/other": {}}), "ERR_LOGOUT_TOKEN_INVALID")
        self.assertRefused(self.sign(nonce="abc"), "ERR_LOGOUT_TOKEN_INVALID")
        self.assertRefused(self.sign(sid=None, sub=None), "ERR_LOGOUT_TOKEN_INVALID")
        self.assertRefused(self.sign(sid=""), "ERR_LOGOUT_TOKEN_INVALID")
        self.assertRefused(self.sign(jti=None), "ERR_TOKEN_CLAIM_INVALID")
        self.assertRefused(self.sign(iat=None), "ERR_TOKEN_CLAIM_INVALID")
        self.assertRefused(self.sign(exp=None), "ERR_TOKEN_CLAIM_INVALID")
        self.assertRefused(self.sign(iat=now - 600, exp=now - 300), "ERR_TOKEN_EXPIRED")
        self.assertRefused(self.sign(exp=now + 3600), "ERR_TOKEN_CLAIM_INVALID")

    def test_without_a_client_id_there_is_no_back_channel_logout(self):
        with self.assertRaises(SharedSessionError) as caught:
            verify_logout_token(self.sign(), self.keys, self.hub.settings(client_id=None))
        self.assertEqual(caught.exception.code, "ERR_LOGOUT_DISABLED")


if __name__ == "__main__":
    unittest.main()
