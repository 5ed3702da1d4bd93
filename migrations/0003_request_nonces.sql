-- Nonces of signed requests seen within the signature window, shared by every replica so that a
-- request replayed to another replica is refused too. Unlogged: they only matter for a minute.
CREATE UNLOGGED TABLE request_nonces (
  nonce text PRIMARY KEY,
  seen  timestamptz NOT NULL
);
CREATE INDEX request_nonces_seen ON request_nonces (seen);
