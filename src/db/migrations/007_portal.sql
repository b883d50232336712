-- The customer portal (src/portal/). A link carries a one-time credential; exchanging it creates a
-- session bound to the link's tenant. Only SHA-256 digests of either credential are stored.
-- (Numbered after 006, with 004 and 005 left to migrations developed at the same time.)
CREATE TABLE portal_links (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants (id),
  token_hash  bytea NOT NULL UNIQUE,
  expires_at  timestamptz NOT NULL,
  -- Set by the one exchange that may succeed: the UPDATE that sets it is what makes a link single-use.
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_links_tenant_idx ON portal_links (tenant_id, created_at);

CREATE TABLE portal_sessions (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants (id),
  link_id     text NOT NULL REFERENCES portal_links (id),
  token_hash  bytea NOT NULL UNIQUE,
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_sessions_tenant_idx ON portal_sessions (tenant_id);
