-- Numbered 005, not 004, so it cannot collide with a 004 landing from another branch at the same
-- time; migrate() applies every unapplied file whatever the order in which they arrived.

-- Signing: `hmac-sha256` (v1, a shared whsec_ secret) or `ed25519` (v1a: hookflow keeps the whsk_
-- private key in `secret` / `previous_secret`, the subscriber gets the whpk_ public key).
ALTER TABLE subscriptions ADD COLUMN signature_scheme text NOT NULL DEFAULT 'hmac-sha256'
  CHECK (signature_scheme IN ('hmac-sha256', 'ed25519'));
-- Not a secret: the current whpk_ public key of an ed25519 subscription, so reads need no decryption.
ALTER TABLE subscriptions ADD COLUMN public_key text;

-- `secret` and `previous_secret` now hold `hfenc1:<keyId>:…` (AES-256-GCM under HOOKFLOW_SECRET_KEYS).
-- SQL cannot encrypt with a key that only the Node processes hold, so existing plaintext rows are
-- sealed right after this migration by `hookflow migrate` (and `hookflow dev` at start-up), in
-- batches that are resumable and idempotent (src/security/reseal-secrets.ts). Until then the
-- readers pass plaintext rows through, so a rolling upgrade keeps delivering.

-- Scopes of a tenant token (NULL: every scope a tenant may hold, as tokens had before).
ALTER TABLE tenant_tokens ADD COLUMN scopes text[];
