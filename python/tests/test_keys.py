import unittest

from shared_session import HubKeys, SharedSessionError, parse_jwks

from .support import Clock, FakeHub, SigningKey, closed_url


class HubKeysTest(unittest.TestCase):
    def setUp(self):
        self.hub = FakeHub()
        self.clock = Clock()
        self.keys = HubKeys(self.hub.url + "/.well-known/jwks.json", max_age=300, min_refetch=10, timeout=2, clock=self.clock)

    def tearDown(self):
        self.hub.close()

    def test_keys_are_cached_until_max_age(self):
        kid = self.hub.key.kid
        self.assertEqual(self.keys.get(kid)[0], "EdDSA")
        self.clock.now += 299
        self.keys.get(kid)
        self.assertEqual(self.hub.hits["jwks"], 1)
        self.clock.now += 2
        self.keys.get(kid)
        self.assertEqual(self.hub.hits["jwks"], 2)

    def test_an_unknown_kid_refetches_so_a_rotation_is_followed(self):
        self.keys.get(self.hub.key.kid)
        new = SigningKey("ES256")
        self.hub.keys.append(new)
        self.clock.now += 10
        self.assertEqual(self.keys.get(new.kid)[0], "ES256")
        self.assertEqual(self.hub.hits["jwks"], 2)

    def test_unknown_kids_refetch_at_most_once_per_min_refetch(self):
        self.keys.get(self.hub.key.kid)
        for i in range(50):
            self.assertIsNone(self.keys.get(f"made-up-{i}"))
        self.assertEqual(self.hub.hits["jwks"], 1, "within min_refetch of the first fetch: no refetch at all")
        self.clock.now += 10
        for i in range(50):
            self.keys.get(f"made-up-again-{i}")
        self.assertEqual(self.hub.hits["jwks"], 2)

    def test_a_hub_that_fails_keeps_the_stale_keys_and_is_not_asked_on_every_request(self):
        kid = self.hub.key.kid
        self.keys.get(kid)
        self.hub.jwks_status = 500
        self.clock.now += 400
        self.assertIsNotNone(self.keys.get(kid), "stale keys still verify")
        self.assertIsNotNone(self.keys.get(kid))
        self.assertEqual(self.hub.hits["jwks"], 2, "one failed attempt, then no retry until min_refetch")

    def test_no_keys_at_all_is_hub_unavailable_and_not_retried_at_once(self):
        keys = HubKeys(closed_url() + "/jwks", min_refetch=10, timeout=1, clock=self.clock)
        for _ in range(2):
            with self.assertRaises(SharedSessionError) as caught:
                keys.get("k")
            self.assertEqual(caught.exception.code, "ERR_HUB_UNAVAILABLE")
        self.assertEqual(keys.fetches, 1)


class ParseJwksTest(unittest.TestCase):
    def test_keeps_only_usable_signing_keys(self):
        good = SigningKey()
        es = SigningKey("ES256")
        doc = {"keys": [
            good.jwk,
            es.jwk,
            {**SigningKey().jwk, "use": "enc"},
            {**SigningKey().jwk, "alg": "HS256"},
            {**SigningKey().jwk, "alg": "ES256"},  # an Ed25519 key claiming ES256
            {**SigningKey().jwk, "d": "private-part"},
            {k: v for k, v in SigningKey().jwk.items() if k != "alg"},
            {k: v for k, v in SigningKey().jwk.items() if k != "kid"},
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac", "alg": "HS256"},
            "not a key",
        ]}
        self.assertEqual(sorted(parse_jwks(doc)), sorted([good.kid, es.kid]))

    def test_a_kid_published_twice_is_dropped(self):
        a, b = SigningKey(kid="same"), SigningKey(kid="same")
        self.assertNotIn("same", parse_jwks({"keys": [a.jwk, b.jwk, SigningKey().jwk]}))

    def test_a_document_without_usable_keys_is_refused(self):
        for doc in ({}, {"keys": "x"}, {"keys": []}, [], {"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "h", "alg": "HS256"}]}):
            with self.subTest(doc=doc):
                with self.assertRaises(ValueError):
                    parse_jwks(doc)


if __name__ == "__main__":
    unittest.main()
