-- One known value encrypted with each key the database has been written with. At start-up Tandem decrypts each with
-- the configured key ring and refuses to start if a key is missing or different, instead of failing later on the
-- first sign-in or victim record it cannot read.
CREATE TABLE encryption_key_checks (
  key_id text PRIMARY KEY,
  probe text NOT NULL,
  created_at timestamptz NOT NULL
);
