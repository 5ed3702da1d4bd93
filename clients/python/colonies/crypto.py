"""Ed25519 keys as the server knows them: a private key is a 32-byte seed in hex, an id its public key in hex."""
import re
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

HEX_KEY = re.compile(r"^[0-9a-f]{64}$")

_RAW = {"encoding": serialization.Encoding.Raw, "format": serialization.PublicFormat.Raw}


def generate_prvkey():
    """A new private key (64 hex characters)."""
    return secrets.token_bytes(32).hex()


def is_prvkey(value):
    return isinstance(value, str) and HEX_KEY.match(value) is not None


class Signer:
    """Holds a parsed private key, so each signature costs only the signing."""

    def __init__(self, prvkey):
        if not is_prvkey(prvkey):
            raise ValueError("a private key is 64 lowercase hex characters (an Ed25519 seed)")
        self._key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(prvkey))
        self.id = self._key.public_key().public_bytes(**_RAW).hex()

    def sign(self, message):
        """The signature of the message's UTF-8 bytes, in hex (128 characters)."""
        data = message.encode("utf-8") if isinstance(message, str) else bytes(message)
        return self._key.sign(data).hex()


def id_of(prvkey):
    """The id (public key, hex) of a private key."""
    return Signer(prvkey).id


class Crypto:
    """pycolonies' key helper: ``Crypto().prvkey()``, ``Crypto().id(prvkey)``, ``Crypto().sign(data, prvkey)``."""

    def prvkey(self):
        return generate_prvkey()

    def id(self, prvkey):
        return id_of(prvkey)

    def sign(self, data, prvkey):
        return Signer(prvkey).sign(data)
