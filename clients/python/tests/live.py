"""A live server for the tests that need one: test/python/python.test.ts starts one and sets these variables."""
import os
import secrets
import time
import unittest

from colonies import Colonies, Crypto

ENV = ("COLONIES_TEST_SERVER_URL", "COLONIES_TEST_COLONY_NAME", "COLONIES_TEST_COLONY_PRVKEY", "COLONIES_TEST_PRVKEY",
       "COLONIES_TEST_LEASE_SECONDS")


class Live:
    """The server's URL, its colony, the colony owner's and a user's keys, and its lease."""

    def __init__(self):
        missing = [name for name in ENV if not os.environ.get(name)]
        if missing:
            raise unittest.SkipTest(f"no live server ({', '.join(missing)} not set): test/python/python.test.ts runs these")
        self.url = os.environ["COLONIES_TEST_SERVER_URL"]
        self.colonyname = os.environ["COLONIES_TEST_COLONY_NAME"]
        self.colony_prvkey = os.environ["COLONIES_TEST_COLONY_PRVKEY"]
        self.prvkey = os.environ["COLONIES_TEST_PRVKEY"]
        self.lease_seconds = float(os.environ["COLONIES_TEST_LEASE_SECONDS"])
        self.user = Colonies(url=self.url, colonyname=self.colonyname, prvkey=self.prvkey)
        self.owner = Colonies(url=self.url, colonyname=self.colonyname, prvkey=self.colony_prvkey)

    def executor_type(self):
        """A type no other test serves, so that no other executor takes its processes."""
        return f"py-{secrets.token_hex(4)}"

    def add_executor(self, executortype):
        """A new approved executor of the type; its client signs as it."""
        prvkey = Crypto().prvkey()
        name = f"{executortype}-{prvkey[:6]}"
        self.owner.add_executor({"executorname": name, "executorid": Crypto().id(prvkey), "executortype": executortype})
        self.owner.approve_executor(self.colonyname, name)
        return Colonies(url=self.url, colonyname=self.colonyname, prvkey=prvkey)


def wait_until(what, check, timeout=30.0):
    """Asks ``check`` until it answers something true; fails naming ``what`` after ``timeout`` seconds."""
    until = time.monotonic() + timeout
    delay = 0.02
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > until:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(delay)
        delay = min(delay * 2, 0.25)
