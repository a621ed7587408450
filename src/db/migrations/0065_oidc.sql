-- Single sign-on (OpenID Connect). An external identity is its issuer plus subject, linked to exactly one Tandem user.
-- Users are never linked by email: an IdP account with a local user's email address gets its own user, not theirs.
CREATE TABLE user_identities (
  issuer text NOT NULL,
  subject text NOT NULL,
  provider_id text NOT NULL,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  last_sign_in_at timestamptz NOT NULL,
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

-- Sign-ins in flight (authorisation code + PKCE): single use, ten minutes, in the database so any process can take
-- the callback. Only a hash of the state is stored; the browser holds the state in a cookie as well.
CREATE TABLE oidc_sign_in_requests (
  state_hash text PRIMARY KEY,
  provider_id text NOT NULL,
  nonce text NOT NULL,
  code_verifier text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX oidc_sign_in_requests_expiry ON oidc_sign_in_requests (expires_at);
