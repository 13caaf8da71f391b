import os
import tempfile
import threading
import unittest

from shared_session import MemoryEndedSessions, SqliteEndedSessions

from .support import Clock

HUB = "https://auth.acme.com"


class Contract:
    """The rules every EndedSessions keeps; run against each implementation."""

    def make(self, clock):
        raise NotImplementedError

    def setUp(self):
        self.clock = Clock(1_000_000.0)
        self.ended = self.make(self.clock)

    def test_an_ended_sid_is_ended_until_its_time_is_up(self):
        self.assertFalse(self.ended.is_ended(HUB, "s1", "u1", 999_000))
        self.ended.end_session(HUB, "s1", until=self.clock.now + 60)
        self.assertTrue(self.ended.is_ended(HUB, "s1", "u1", 999_000))
        self.assertTrue(self.ended.is_ended(HUB, "s1", "u2", 1_000_500), "a sid ends whatever the token's sub or iat")
        self.assertFalse(self.ended.is_ended(HUB, "s2", "u1", 999_000), "another session lives")
        self.assertFalse(self.ended.is_ended("https://other.example", "s1", "u1", 999_000), "sids are per issuer")
        self.clock.now += 61
        self.assertFalse(self.ended.is_ended(HUB, "s1", "u1", 999_000))

    def test_an_ended_sub_ends_tokens_issued_until_then_only(self):
        self.ended.end_subject(HUB, "u1", at=1_000_000, until=self.clock.now + 60)
        self.assertTrue(self.ended.is_ended(HUB, "s1", "u1", 999_999))
        self.assertTrue(self.ended.is_ended(HUB, "s9", "u1", 1_000_000), "the same second counts as before (safe side)")
        self.assertFalse(self.ended.is_ended(HUB, "s1", "u1", 1_000_001), "a sign-in after the logout lives")
        self.assertFalse(self.ended.is_ended(HUB, "s1", "u2", 999_000))
        self.ended.end_subject(HUB, "u1", at=999_000, until=self.clock.now + 60)
        self.assertTrue(self.ended.is_ended(HUB, "s1", "u1", 999_999), "an older logout arriving late never shortens a newer one")

    def test_a_jti_is_used_once_until_it_is_forgotten(self):
        self.assertTrue(self.ended.first_use(HUB, "j1", until=self.clock.now + 120))
        self.assertFalse(self.ended.first_use(HUB, "j1", until=self.clock.now + 120))
        self.assertTrue(self.ended.first_use("https://other.example", "j1", until=self.clock.now + 120))
        self.clock.now += 121
        self.assertTrue(self.ended.first_use(HUB, "j1", until=self.clock.now + 120))

    def test_twenty_parallel_replays_let_exactly_one_through(self):
        results = []
        barrier = threading.Barrier(20)

        def use():
            barrier.wait()
            results.append(self.ended.first_use(HUB, "race", until=self.clock.now + 120))

        threads = [threading.Thread(target=use) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results.count(True), 1)


class MemoryEndedSessionsTest(Contract, unittest.TestCase):
    def make(self, clock):
        return MemoryEndedSessions(clock=clock)

    def test_bounded(self):
        ended = MemoryEndedSessions(max_entries=10, clock=self.clock)
        for i in range(50):
            ended.end_session(HUB, f"s{i}", until=self.clock.now + 60)
        self.assertTrue(ended.is_ended(HUB, "s49", "u", 0))
        self.assertLessEqual(len(ended._entries), 10)


class SqliteEndedSessionsTest(Contract, unittest.TestCase):
    def make(self, clock):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "ended.sqlite")
        return SqliteEndedSessions(self.path, clock=clock)

    def tearDown(self):
        self.dir.cleanup()

    def test_two_processes_share_the_file(self):
        other = SqliteEndedSessions(self.path, clock=self.clock)
        self.ended.end_session(HUB, "s1", until=self.clock.now + 60)
        self.assertTrue(other.is_ended(HUB, "s1", "u1", 0))
        self.assertTrue(self.ended.first_use(HUB, "j", until=self.clock.now + 60))
        self.assertFalse(other.first_use(HUB, "j", until=self.clock.now + 60))


if __name__ == "__main__":
    unittest.main()
