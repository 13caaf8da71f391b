import base64
import hashlib
import hmac
import json
import time
import unittest

from shared_session import HubKeys, SharedSessionError, verify_login_token

from .support import AUDIENCE, HUB, FakeHub, SigningKey, login_claims


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class VerifyLoginTokenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = FakeHub()
        cls.hub.keys.append(SigningKey("ES256"))
        cls.settings = cls.hub.settings()
        cls.keys = HubKeys(cls.settings.jwks_url)

    @classmethod
    def tearDownClass(cls):
        cls.hub.close()

    def verify(self, token):
        return verify_login_token(token, self.keys, self.settings)

    def assertRefused(self, token, code):
        with self.assertRaises(SharedSessionError) as caught:
            self.verify(token)
        self.assertEqual(caught.exception.code, code, str(caught.exception))
        self.assertLess(caught.exception.status, 500)

    def test_a_hub_token_verifies_with_either_algorithm(self):
        for key in self.hub.keys:
            claims = self.verify(key.sign(login_claims()))
            self.assertEqual((claims["iss"], claims["sub"], claims["sid"], claims["username"]), (HUB, "u_42", "sid-1", "alice"))

    def test_audience_may_be_a_list(self):
        self.assertEqual(self.verify(self.hub.key.sign(login_claims(aud=["x.com", AUDIENCE])))["sub"], "u_42")

    def test_the_typ_header_is_required(self):
        self.assertRefused(self.hub.key.sign(login_claims(), typ="JWT"), "ERR_TOKEN_TYPE")
        self.assertRefused(self.hub.key.sign(login_claims(), typ="logout+jwt"), "ERR_TOKEN_TYPE")
        self.assertRefused(self.hub.key.sign(login_claims(), typ=None), "ERR_TOKEN_TYPE")

    def test_alg_none_and_hmac_with_the_public_key_are_refused(self):
        header = {"alg": "none", "typ": "shared-session+jwt", "kid": self.hub.key.kid}
        body = b64(json.dumps(login_claims()).encode())
        self.assertRefused(f"{b64(json.dumps(header).encode())}.{body}.", "ERR_TOKEN_ALGORITHM")
        for secret in (self.hub.key.jwk["x"].encode(), json.dumps(self.hub.key.jwk).encode()):
            head = b64(json.dumps({**header, "alg": "HS256"}).encode())
            mac = b64(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
            self.assertRefused(f"{head}.{body}.{mac}", "ERR_TOKEN_ALGORITHM")

    def test_a_key_verifies_only_its_own_algorithm(self):
        ed, es = self.hub.keys
        token = es.sign(login_claims(), headers={"kid": ed.kid})
        self.assertRefused(token, "ERR_TOKEN_ALGORITHM")

    def test_unknown_and_forged_kids(self):
        stranger = SigningKey()
        self.assertRefused(stranger.sign(login_claims()), "ERR_TOKEN_KEY_UNKNOWN")
        self.assertRefused(stranger.sign(login_claims(), headers={"kid": self.hub.key.kid}), "ERR_TOKEN_SIGNATURE")
        for kid in (None, 7, ""):
            self.assertRefused(self.hub.key.sign_raw({"alg": "EdDSA", "typ": "shared-session+jwt", "kid": kid}, login_claims()), "ERR_TOKEN_KEY_UNKNOWN")
        self.assertEqual(self.verify(self.hub.key.sign_raw({"alg": "EdDSA", "typ": "shared-session+jwt", "kid": self.hub.key.kid}, login_claims()))["sub"], "u_42")

    def test_a_crit_header_is_refused(self):
        self.assertRefused(self.hub.key.sign(login_claims(), headers={"crit": ["exp"]}), "ERR_TOKEN_MALFORMED")

    def test_keys_from_the_token_itself_are_never_used(self):
        stranger = SigningKey()
        token = stranger.sign(login_claims(), headers={"jwk": stranger.jwk, "jku": "https://evil.example/jwks", "kid": "evil"})
        self.assertRefused(token, "ERR_TOKEN_KEY_UNKNOWN")

    def test_issuer_audience_and_time(self):
        now = int(time.time())
        k = self.hub.key
        self.assertRefused(k.sign(login_claims(iss="https://evil.example")), "ERR_TOKEN_ISSUER")
        self.assertRefused(k.sign(login_claims(aud="other.localhost")), "ERR_TOKEN_AUDIENCE")
        self.assertRefused(k.sign(login_claims(iat=now - 3600, exp=now - 60)), "ERR_TOKEN_EXPIRED")
        self.assertRefused(k.sign(login_claims(iat=now + 120, exp=now + 900)), "ERR_TOKEN_NOT_YET_VALID")
        self.assertRefused(k.sign(login_claims(nbf=now + 120)), "ERR_TOKEN_NOT_YET_VALID")
        self.assertRefused(k.sign(login_claims(exp=now + 2 * 86_400)), "ERR_TOKEN_CLAIM_INVALID")
        self.assertEqual(self.verify(k.sign(login_claims(iat=now - 40, exp=now - 10)))["sub"], "u_42", "30 s of clock leeway")

    def test_required_claims_and_their_types(self):
        k = self.hub.key
        for name in ("iss", "aud", "sub", "iat", "exp", "jti", "sid", "username"):
            with self.subTest(missing=name):
                with self.assertRaises(SharedSessionError) as caught:
                    self.verify(k.sign(login_claims(**{name: None})))
                self.assertLess(caught.exception.status, 500)
        for change in ({"exp": True}, {"exp": "later"}, {"iat": "now"}):
            with self.subTest(change=change):
                with self.assertRaises(SharedSessionError) as caught:
                    self.verify(k.sign(login_claims(**change)))
                self.assertLess(caught.exception.status, 500)
        for change in ({"sub": ""}, {"sid": 42}, {"username": "x" * 513}, {"email": ["a"]}, {"iat": 1.5}):
            with self.subTest(change=change):
                self.assertRefused(k.sign(login_claims(**change)), "ERR_TOKEN_CLAIM_INVALID")

    def test_one_spelling_per_token(self):
        token = self.hub.key.sign(login_claims())
        head, body, sig = token.split(".")
        for bad in (f"{head}=.{body}.{sig}", f"{head}.{body}.{sig}==", f" {token}", token + ".x", token.replace(".", ". ", 1),
                    "a.b", "", "x" * 9000, None, 42):
            with self.subTest(bad=str(bad)[:40]):
                self.assertRefused(bad, "ERR_TOKEN_MALFORMED")
        # Stray low bits in the last character decode to the same bytes in a lenient decoder.
        last = sig[-1]
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        twin = alphabet[alphabet.index(last) ^ 1]
        self.assertRefused(f"{head}.{body}.{sig[:-1]}{twin}", "ERR_TOKEN_MALFORMED")


if __name__ == "__main__":
    unittest.main()
