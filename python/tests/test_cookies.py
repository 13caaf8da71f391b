import unittest

from shared_session import SharedSessionError, single_cookie


class SingleCookieTest(unittest.TestCase):
    def test_reads_one_cookie_among_others(self):
        self.assertEqual(single_cookie("theme=dark; ss-token=abc.def.ghi; lang=en", "ss-token"), "abc.def.ghi")
        self.assertEqual(single_cookie('ss-token="abc"', "ss-token"), "abc")

    def test_absent_empty_or_similar_names_are_none(self):
        for header in (None, "", "theme=dark", "xss-token=abc", "ss-token-bounce=1", "ss-token", "ss-token="):
            with self.subTest(header=header):
                self.assertIsNone(single_cookie(header, "ss-token"))

    def test_two_cookies_of_the_name_are_no_credential(self):
        for header in ("ss-token=a; ss-token=b", "ss-token=a;ss-token=a", "ss-token=a; x=1; ss-token="):
            with self.subTest(header=header):
                with self.assertRaises(SharedSessionError) as caught:
                    single_cookie(header, "ss-token")
                self.assertEqual(caught.exception.code, "ERR_COOKIE_DUPLICATE")
                self.assertEqual(caught.exception.status, 401)

    def test_an_oversized_header_is_not_parsed(self):
        self.assertIsNone(single_cookie("ss-token=abc; pad=" + "x" * 20_000, "ss-token"))


if __name__ == "__main__":
    unittest.main()
