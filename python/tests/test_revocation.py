import unittest

from shared_session import HubRevocation, SharedSessionError

from .support import Clock, FakeHub, closed_url


class HubRevocationTest(unittest.TestCase):
    def setUp(self):
        self.hub = FakeHub()
        self.clock = Clock()

    def tearDown(self):
        self.hub.close()

    def revocation(self, mode="auto", url=None):
        return HubRevocation(url or self.hub.url + "/forward-auth", mode=mode, cache_seconds=5, timeout=1, clock=self.clock)

    def test_a_live_session_passes_and_the_answer_is_reused_briefly(self):
        r = self.revocation()
        r.check("token-a")
        r.check("token-a")
        self.assertEqual(self.hub.hits["forward-auth"], 1)
        r.check("token-b")
        self.assertEqual(self.hub.hits["forward-auth"], 2, "answers are per token")
        self.hub.forward_auth = (401, {"error": "ERR_TOKEN_REVOKED"})
        self.clock.now += 5
        with self.assertRaises(SharedSessionError) as caught:
            r.check("token-a")
        self.assertEqual(caught.exception.code, "ERR_TOKEN_REVOKED")

    def test_the_hubs_refusal_code_is_kept_and_unknown_ones_mean_revoked(self):
        r = self.revocation()
        for answer, code in (((401, {"error": "ERR_TOKEN_EXPIRED"}), "ERR_TOKEN_EXPIRED"), ((401, {"error": "ERR_HUB_UNAVAILABLE"}), "ERR_TOKEN_REVOKED"),
                             ((401, {"error": "made-up"}), "ERR_TOKEN_REVOKED"), ((401, ["x"]), "ERR_TOKEN_REVOKED")):
            self.hub.forward_auth = answer
            self.clock.now += 10
            with self.subTest(answer=answer):
                with self.assertRaises(SharedSessionError) as caught:
                    r.check("t")
                self.assertEqual(caught.exception.code, code)

    def test_auto_verifies_offline_while_the_hub_cannot_be_asked(self):
        r = self.revocation("auto", url=closed_url() + "/forward-auth")
        with self.assertLogs("shared_session", "WARNING"):
            r.check("t")
        self.assertEqual(r.requests, 1)
        r.check("t")
        self.assertEqual(r.requests, 1, "not asked again at once")
        self.clock.now += 5
        r.check("t")
        self.assertEqual(r.requests, 2)

    def test_required_makes_an_unreachable_or_failing_hub_a_503(self):
        for url in (closed_url() + "/forward-auth", self.hub.url + "/nowhere"):
            with self.subTest(url=url):
                with self.assertRaises(SharedSessionError) as caught:
                    self.revocation("required", url=url).check("t")
                self.assertEqual((caught.exception.code, caught.exception.status), ("ERR_HUB_UNAVAILABLE", 503))

    def test_off_never_asks(self):
        self.hub.forward_auth = (401, {"error": "ERR_TOKEN_REVOKED"})
        r = self.revocation("off")
        r.check("t")
        self.assertEqual(self.hub.hits["forward-auth"], 0)


if __name__ == "__main__":
    unittest.main()
