import unittest

from shared_session import HubSettings, SharedSessionError


class HubSettingsTest(unittest.TestCase):
    def test_derives_everything_from_the_hub(self):
        s = HubSettings(hub="https://Auth.Acme.com/", app_origin="https://wiki.acme.com", audience="acme.com", hub_base_path="/sso/")
        self.assertEqual(s.hub, "https://auth.acme.com")
        self.assertEqual(s.issuer, "https://auth.acme.com")
        self.assertEqual(s.jwks_url, "https://auth.acme.com/sso/.well-known/jwks.json")
        self.assertEqual(s.forward_auth_url, "https://auth.acme.com/sso/forward-auth")
        self.assertEqual(s.refresh_url, "https://auth.acme.com/sso/refresh")
        self.assertEqual(s.logout_url, "https://auth.acme.com/sso/logout")
        self.assertEqual(s.revocation, "auto")
        self.assertEqual(s.algorithms, ("EdDSA", "ES256"))

    def test_cookie_name_follows_the_hubs_scheme(self):
        self.assertEqual(HubSettings(hub="https://auth.acme.com", app_origin="https://wiki.acme.com", audience="a").cookie_name, "__Secure-ss-token")
        self.assertEqual(HubSettings(hub="http://auth.acme.localhost:4000", app_origin="http://wiki.acme.localhost:5000", audience="a").cookie_name, "ss-token")
        self.assertFalse(HubSettings(hub="http://auth.acme.localhost:4000", app_origin="http://wiki.acme.localhost:5000", audience="a").secure_cookies)

    def test_bad_settings_fail_at_construction_naming_the_setting(self):
        base = dict(hub="https://auth.acme.com", app_origin="https://wiki.acme.com", audience="acme.com")
        cases = [
            (dict(hub="auth.acme.com"), "hub"),
            (dict(hub="https://auth.acme.com/path"), "hub"),
            (dict(hub="https://user@auth.acme.com"), "hub"),
            (dict(app_origin="javascript:alert(1)"), "app_origin"),
            (dict(audience=""), "audience"),
            (dict(revocation="sometimes"), "revocation"),
            (dict(algorithms=("HS256",)), "algorithms"),
            (dict(algorithms=("none",)), "algorithms"),
            (dict(algorithms=()), "algorithms"),
            (dict(timeout_seconds=0), "timeout_seconds"),
            (dict(leeway_seconds=-1), "leeway_seconds"),
            (dict(jwks_url="file:///etc/passwd"), "jwks_url"),
            (dict(cookie_name="a;b"), "cookie_name"),
            (dict(client_id=""), "client_id"),
        ]
        for change, detail in cases:
            with self.subTest(change=change):
                with self.assertRaises(SharedSessionError) as caught:
                    HubSettings(**{**base, **change})
                self.assertEqual(caught.exception.code, "ERR_CONFIG_INVALID")
                self.assertEqual(caught.exception.detail, detail)

    def test_from_env_and_from_mapping(self):
        s = HubSettings.from_env({"SHARED_SESSION_HUB": "https://auth.acme.com", "SHARED_SESSION_APP_ORIGIN": "https://wiki.acme.com",
                                  "SHARED_SESSION_AUDIENCE": "acme.com", "SHARED_SESSION_REVOCATION_CACHE_SECONDS": "2.5",
                                  "SHARED_SESSION_ALGORITHMS": "EdDSA"})
        self.assertEqual((s.revocation_cache_seconds, s.algorithms), (2.5, ("EdDSA",)))
        with self.assertRaises(SharedSessionError) as caught:
            HubSettings.from_env({"SHARED_SESSION_HUB": "https://auth.acme.com"})
        self.assertIn("SHARED_SESSION_APP_ORIGIN", str(caught.exception))
        m = HubSettings.from_mapping({"HUB": "https://auth.acme.com", "APP_ORIGIN": "https://wiki.acme.com", "AUDIENCE": "acme.com", "CLIENT_ID": "wiki"})
        self.assertEqual(m.client_id, "wiki")
        with self.assertRaises(SharedSessionError) as caught:
            HubSettings.from_mapping({"HUB": "https://auth.acme.com", "APP_ORIGIN": "https://wiki.acme.com", "AUDIENCE": "a", "AUDIENCES": "b"})
        self.assertIn("audiences", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
