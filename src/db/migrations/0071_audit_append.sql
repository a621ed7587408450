-- The audit chain is appended by one server-side call. The advisory lock that keeps the chain from forking is then held
-- only while the database runs the function (plus, for a row written inside a larger change, until that commits),
-- not across round trips to the app: under load the app's event loop turned those into tens of milliseconds during
-- which every other audited request waited.
--
-- Hash version 2: the app sends a digest of the row's content (RFC 8785 JSON of every column but seq, prev_hash and
-- hash); the function links it: hash = sha256(prev_hash || ':' || seq || ':' || digest). Rows written before keep
-- version 1 (sha256 of prev_hash and the canonical row, computed by the app); `tandem audit-verify` checks both.
ALTER TABLE audit_log ADD COLUMN hash_version smallint NOT NULL DEFAULT 1;

CREATE FUNCTION audit_append(p_at timestamptz, p_actor_user_id uuid, p_actor_organisation_id text, p_action text, p_outcome text,
  p_entity_type text, p_entity_id text, p_case_id uuid, p_detail jsonb, p_request_id text, p_digest text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_seq bigint;
  v_prev text;
BEGIN
  PERFORM pg_advisory_xact_lock(7406002);
  -- A fresh snapshot for this statement (READ COMMITTED, volatile function): it sees the row of whoever held the lock before.
  SELECT seq, hash INTO v_seq, v_prev FROM audit_log ORDER BY seq DESC LIMIT 1;
  v_seq := coalesce(v_seq, 0) + 1;
  v_prev := coalesce(v_prev, repeat('0', 64));
  INSERT INTO audit_log (seq, at, actor_user_id, actor_organisation_id, action, outcome, entity_type, entity_id, case_id, detail, request_id, prev_hash, hash, hash_version)
  VALUES (v_seq, p_at, p_actor_user_id, p_actor_organisation_id, p_action, p_outcome, p_entity_type, p_entity_id, p_case_id, p_detail, p_request_id, v_prev,
    encode(sha256(convert_to(v_prev || ':' || v_seq::text || ':' || p_digest, 'UTF8')), 'hex'), 2);
  RETURN v_seq;
END
$$;
