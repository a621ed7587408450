-- Integration API (/api/v1): machine clients, their bearer tokens, idempotency records, webhook subscriptions,
-- the event outbox and webhook deliveries. See docs/adr for the design.

-- A machine client acts for one organisation through a service account (a users row that cannot sign in: its
-- password hash is not a valid argon2 hash), so every policy check and audit row works as it does for people.
CREATE TABLE api_clients (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  organisation_id text NOT NULL REFERENCES organisations(id),
  service_user_id uuid NOT NULL UNIQUE REFERENCES users(id),
  -- argon2id of the client secret; the secret itself is shown once, when the client is registered
  secret_hash text NOT NULL,
  scopes text[] NOT NULL,
  rate_limit_per_minute integer NOT NULL DEFAULT 600 CHECK (rate_limit_per_minute > 0),
  active boolean NOT NULL DEFAULT true,
  created_by uuid REFERENCES users(id),
  created_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_by uuid REFERENCES users(id),
  version integer NOT NULL DEFAULT 1
);

-- Opaque bearer tokens: only the SHA-256 of the token is stored (a database leak gives no usable token).
CREATE TABLE api_tokens (
  token_hash text PRIMARY KEY,
  client_id uuid NOT NULL REFERENCES api_clients(id) ON DELETE CASCADE,
  scopes text[] NOT NULL,
  issued_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX api_tokens_client ON api_tokens (client_id, expires_at);

-- Requests per client per minute window (in the database so every process shares the count).
CREATE TABLE api_rate_windows (
  client_id uuid NOT NULL REFERENCES api_clients(id) ON DELETE CASCADE,
  window_start timestamptz NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (client_id, window_start)
);

-- Idempotency-Key records: one per client and key. In flight until completed_at; the stored response is replayed
-- for a retry with the same request, and a different request under the same key is refused.
CREATE TABLE api_idempotency (
  client_id uuid NOT NULL REFERENCES api_clients(id) ON DELETE CASCADE,
  key text NOT NULL,
  request_hash text NOT NULL,
  started_at timestamptz NOT NULL,
  completed_at timestamptz,
  response_status integer,
  response_headers jsonb,
  response_body jsonb,
  PRIMARY KEY (client_id, key)
);

CREATE TABLE api_webhook_subscriptions (
  id uuid PRIMARY KEY,
  client_id uuid NOT NULL REFERENCES api_clients(id) ON DELETE CASCADE,
  url text NOT NULL,
  event_types text[] NOT NULL,
  -- the HMAC key, encrypted like victim identity (the signer needs it in clear, so it cannot be hashed)
  secret_enc text NOT NULL,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1
);
CREATE INDEX api_webhook_subscriptions_client ON api_webhook_subscriptions (client_id) WHERE active;

-- The outbox. Rows are written by triggers in the same transaction as the change they describe, whichever path
-- (pages, API, jobs) made it. Payloads carry ids, the case reference and codes only: never victim identity.
CREATE TABLE api_events (
  id uuid PRIMARY KEY,
  type text NOT NULL,
  case_id uuid NOT NULL,
  resource_id uuid NOT NULL,
  occurred_at timestamptz NOT NULL,
  data jsonb NOT NULL,
  fanned_out_at timestamptz
);
CREATE INDEX api_events_pending ON api_events (occurred_at) WHERE fanned_out_at IS NULL;

CREATE TABLE api_webhook_deliveries (
  id uuid PRIMARY KEY,
  event_id uuid NOT NULL REFERENCES api_events(id) ON DELETE CASCADE,
  subscription_id uuid NOT NULL REFERENCES api_webhook_subscriptions(id) ON DELETE CASCADE,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  locked_until timestamptz,
  delivered_at timestamptz,
  failed_at timestamptz,
  last_status integer,
  last_error text,
  UNIQUE (event_id, subscription_id)
);
CREATE INDEX api_webhook_deliveries_due ON api_webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;

-- One trigger function for the four events. It writes nothing when no client subscribes (bulk loads stay cheap).
CREATE FUNCTION api_outbox_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  event_type text := TG_ARGV[0];
  c record;
  extra jsonb := '{}'::jsonb;
  case_id uuid;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM api_webhook_subscriptions WHERE active AND event_type = ANY (event_types)) THEN
    RETURN NEW;
  END IF;
  -- NEW has different columns per table, so each branch names only its own table's fields.
  IF TG_TABLE_NAME = 'cases' THEN
    case_id := NEW.id;
  ELSE
    case_id := NEW.case_id;
  END IF;
  SELECT id, reference, force_id, cps_area_id INTO c FROM cases WHERE id = case_id;
  IF TG_TABLE_NAME = 'ea_requests' THEN
    extra := jsonb_build_object('earlyAdviceRequestId', NEW.id, 'priority', NEW.priority, 'targetDate', NEW.target_date);
  ELSIF TG_TABLE_NAME = 'charging_submissions' THEN
    extra := jsonb_build_object('submissionId', NEW.id, 'sequence', NEW.sequence);
  ELSIF TG_TABLE_NAME = 'charging_decisions' THEN
    extra := jsonb_build_object('decisionId', NEW.id, 'decision', NEW.decision, 'submissionId', NEW.submission_id);
  END IF;
  INSERT INTO api_events (id, type, case_id, resource_id, occurred_at, data)
  VALUES (gen_random_uuid(), event_type, c.id, NEW.id, now(),
          jsonb_build_object('caseId', c.id, 'caseReference', c.reference, 'forceId', c.force_id, 'cpsAreaId', c.cps_area_id) || extra);
  RETURN NEW;
END;
$$;

CREATE TRIGGER api_outbox_case_created AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION api_outbox_event('case.created');
CREATE TRIGGER api_outbox_ea_requested AFTER INSERT ON ea_requests FOR EACH ROW EXECUTE FUNCTION api_outbox_event('early-advice.requested');
CREATE TRIGGER api_outbox_file_submitted AFTER INSERT ON charging_submissions FOR EACH ROW EXECUTE FUNCTION api_outbox_event('charging.file-submitted');
CREATE TRIGGER api_outbox_decision_recorded AFTER INSERT ON charging_decisions FOR EACH ROW EXECUTE FUNCTION api_outbox_event('charging.decision-recorded');
