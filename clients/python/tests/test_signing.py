"""The shared signing vectors (test/vectors/signing.json): this client signs byte for byte as the TypeScript one."""
import json
import os
import unittest

from colonies import Crypto, id_of
from colonies.crypto import Signer, generate_prvkey
from colonies.routes import route_path, query_string
from colonies.signing import canonical_request, sha256_hex, signed_headers

VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "test", "vectors", "signing.json")


def load_vectors():
    with open(VECTORS, encoding="utf-8") as f:
        return json.load(f)


class SigningVectors(unittest.TestCase):
    def setUp(self):
        self.v = load_vectors()

    def test_the_vector_keys_id_is_its_public_key(self):
        self.assertEqual(id_of(self.v["prvkey"]), self.v["id"])
        self.assertEqual(Crypto().id(self.v["prvkey"]), self.v["id"])

    def test_every_request_hash_canonical_string_signature_and_headers(self):
        signer = Signer(self.v["prvkey"])
        self.assertGreaterEqual(len(self.v["requests"]), 4)
        for r in self.v["requests"]:
            with self.subTest(method=r["method"], path=r["pathWithQuery"]):
                self.assertEqual(sha256_hex(r["body"]), r["bodySha256"])
                self.assertEqual(sha256_hex(r["body"].encode("utf-8")), r["bodySha256"])
                self.assertEqual(canonical_request(r["method"], r["pathWithQuery"], r["timestamp"], r["nonce"], r["bodySha256"]),
                                 r["canonical"])
                headers = signed_headers(signer, r["method"], r["pathWithQuery"], r["bodySha256"], r["timestamp"], r["nonce"])
                self.assertEqual(headers, r["headers"])

    def test_every_path_and_query_is_encoded_as_the_typescript_client_does(self):
        for p in self.v["paths"]:
            with self.subTest(operation=p["operation"]):
                params = dict(p["params"])
                self.assertEqual(route_path(p["operation"], **params)[1], p["path"])
        for q in self.v["queries"]:
            with self.subTest(query=q["query"]):
                self.assertEqual(query_string(q["query"]), q["queryString"])


class Keys(unittest.TestCase):
    def test_new_keys_are_64_hex_and_sign_verifiably(self):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        crypto = Crypto()
        prvkey = crypto.prvkey()
        self.assertRegex(prvkey, r"^[0-9a-f]{64}$")
        self.assertNotEqual(prvkey, generate_prvkey())
        key_id = crypto.id(prvkey)
        self.assertRegex(key_id, r"^[0-9a-f]{64}$")
        signature = crypto.sign("hello ✓", prvkey)
        self.assertRegex(signature, r"^[0-9a-f]{128}$")
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_id)).verify(bytes.fromhex(signature), "hello ✓".encode("utf-8"))

    def test_a_bad_private_key_is_refused_with_what_a_key_is(self):
        for bad in ["", "xyz", "AB" * 32, "ab" * 31, None]:
            with self.subTest(bad=bad), self.assertRaisesRegex(ValueError, "64 lowercase hex"):
                Signer(bad)

    def test_route_path_names_a_missing_parameter(self):
        with self.assertRaisesRegex(ValueError, "getProcess: the path needs id"):
            route_path("getProcess", colony="dev")


if __name__ == "__main__":
    unittest.main()
