"""Request signing, byte for byte as the server's other clients do it (protocol/signing.ts).

The signed message is one line per field, so no field can bleed into another::

    COLONIES-ED25519-V1 \\n METHOD \\n /path?query \\n timestamp(ms) \\n nonce \\n sha256(body) hex
"""
import hashlib
import secrets
import time

SIGNATURE_VERSION = "COLONIES-ED25519-V1"

HEADER_ID = "x-colonies-id"
HEADER_TIMESTAMP = "x-colonies-timestamp"
HEADER_NONCE = "x-colonies-nonce"
HEADER_SIGNATURE = "x-colonies-signature"


def sha256_hex(data):
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def canonical_request(method, path_with_query, timestamp, nonce, body_sha256):
    return "\n".join([SIGNATURE_VERSION, method.upper(), path_with_query, str(timestamp), nonce, body_sha256])


def new_nonce():
    return secrets.token_hex(16)


def now_ms():
    return int(time.time() * 1000)


def signed_headers(signer, method, path_with_query, body_sha256, timestamp, nonce):
    """The four signature headers of a request whose body hashes to ``body_sha256``."""
    timestamp = str(timestamp)
    return {
        HEADER_ID: signer.id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signer.sign(canonical_request(method, path_with_query, timestamp, nonce, body_sha256)),
    }
