-- Tandem platform schema: reference data, identity, sessions, audit, the joint case file.
-- One dialect for PostgreSQL 15+ and PGlite. Every case-owned table carries force_id (the owning force) so the
-- data can be partitioned or sharded by force later without re-keying.

CREATE TABLE cps_areas (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  is_cps_direct boolean NOT NULL DEFAULT false,
  active boolean NOT NULL DEFAULT true,
  version integer NOT NULL DEFAULT 1
);

CREATE TABLE forces (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  code text NOT NULL UNIQUE,
  active boolean NOT NULL DEFAULT true,
  version integer NOT NULL DEFAULT 1
);

-- Which CPS Area(s) take a force's cases. The Metropolitan Police is split by borough between London North and
-- London South, so a force may map to more than one Area; exactly one mapping is primary.
CREATE TABLE force_area_map (
  force_id text NOT NULL REFERENCES forces(id),
  cps_area_id text NOT NULL REFERENCES cps_areas(id),
  is_primary boolean NOT NULL DEFAULT true,
  needs_check boolean NOT NULL DEFAULT false,
  note text,
  PRIMARY KEY (force_id, cps_area_id)
);
CREATE UNIQUE INDEX force_area_map_one_primary ON force_area_map (force_id) WHERE is_primary;

CREATE TABLE organisations (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('force', 'rasso_unit', 'cps_direct', 'isva_service', 'panel', 'national', 'forensic_provider')),
  name text NOT NULL,
  force_id text REFERENCES forces(id),
  cps_area_id text REFERENCES cps_areas(id),
  active boolean NOT NULL DEFAULT true,
  version integer NOT NULL DEFAULT 1,
  CHECK (kind <> 'force' OR force_id IS NOT NULL),
  CHECK (kind <> 'rasso_unit' OR cps_area_id IS NOT NULL)
);

CREATE TABLE offences (
  code text PRIMARY KEY,
  title text NOT NULL,
  legislation text NOT NULL,
  section text NOT NULL,
  max_penalty text NOT NULL,
  is_rape boolean NOT NULL DEFAULT false,
  victim_under_13 boolean NOT NULL DEFAULT false,
  active boolean NOT NULL DEFAULT true,
  version integer NOT NULL DEFAULT 1
);

CREATE TABLE outcome_types (
  code integer PRIMARY KEY,
  title text NOT NULL,
  needs_check boolean NOT NULL DEFAULT true,
  active boolean NOT NULL DEFAULT true,
  version integer NOT NULL DEFAULT 1
);

CREATE TABLE users (
  id uuid PRIMARY KEY,
  username text NOT NULL UNIQUE,
  display_name text NOT NULL,
  email text NOT NULL,
  organisation_id text NOT NULL REFERENCES organisations(id),
  password_hash text NOT NULL,
  totp_secret_enc text,
  totp_enrolled_at timestamptz,
  failed_attempts integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1
);
CREATE INDEX users_organisation ON users (organisation_id);

CREATE TABLE user_roles (
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('investigator', 'police_supervisor', 'prosecutor', 'district_crown_prosecutor',
    'paralegal', 'vlo', 'isva', 'panel_member', 'analyst', 'national_lead', 'admin')),
  PRIMARY KEY (user_id, role)
);

-- Sign-in attempts, kept for rate limiting across processes (sliding window per account and per client address).
CREATE TABLE sign_in_attempts (
  id bigserial PRIMARY KEY,
  username text NOT NULL,
  client text NOT NULL,
  at timestamptz NOT NULL,
  succeeded boolean NOT NULL
);
CREATE INDEX sign_in_attempts_username ON sign_in_attempts (username, at);
CREATE INDEX sign_in_attempts_client ON sign_in_attempts (client, at);

-- Server-side sessions. Only a hash of the session id is stored, so a read of this table cannot hijack a session.
CREATE TABLE sessions (
  id_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  stage text NOT NULL CHECK (stage IN ('second_factor', 'enrol', 'active')),
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  pending_totp_secret_enc text
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Append-only, hash-chained audit log: hash = sha256(prev_hash || canonical event). Writers take an advisory lock
-- so the chain never forks. In production the application role is granted INSERT and SELECT only.
CREATE TABLE audit_log (
  seq bigint PRIMARY KEY,
  at timestamptz NOT NULL,
  actor_user_id uuid,
  actor_organisation_id text,
  action text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('allowed', 'denied', 'failed')),
  entity_type text,
  entity_id text,
  case_id uuid,
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  request_id text,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_log_case ON audit_log (case_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor_user_id, seq);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE SEQUENCE case_reference_seq;

CREATE TABLE cases (
  id uuid PRIMARY KEY,
  reference text NOT NULL UNIQUE,
  force_id text NOT NULL REFERENCES forces(id),
  cps_area_id text NOT NULL REFERENCES cps_areas(id),
  stage text NOT NULL CHECK (stage IN ('investigation', 'early_advice', 'charging_decision', 'charged', 'trial',
    'convicted', 'acquitted', 'discontinued', 'nfa_police', 'nfa_cps', 'administratively_finalised')),
  offence_date date,
  offence_date_to date,
  reported_at date NOT NULL,
  summary text NOT NULL DEFAULT '',
  -- set when the police first refer the case to CPS (Early Advice or charging): from then the Area's RASSO unit may see it
  referred_at timestamptz,
  outcome_type_code integer REFERENCES outcome_types(code),
  created_by uuid REFERENCES users(id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1
);
CREATE INDEX cases_force_reported ON cases (force_id, reported_at DESC);
CREATE INDEX cases_area_reported ON cases (cps_area_id, reported_at DESC) WHERE referred_at IS NOT NULL;
CREATE INDEX cases_stage ON cases (stage);

CREATE TABLE case_offences (
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  offence_code text NOT NULL REFERENCES offences(code),
  PRIMARY KEY (case_id, offence_code)
);
CREATE INDEX case_offences_code ON case_offences (offence_code);

-- Victim identity (name, date of birth, contact details) is encrypted by the application: *_enc columns hold
-- "<key id>:<base64 iv|tag|ciphertext>" bound to table/column/row as AAD.
CREATE TABLE victims (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  label text NOT NULL,
  name_enc text NOT NULL,
  date_of_birth_enc text,
  contact_enc text,
  age_at_offence integer CHECK (age_at_offence IS NULL OR age_at_offence BETWEEN 0 AND 120),
  vulnerabilities jsonb NOT NULL DEFAULT '[]'::jsonb,
  communication_needs text NOT NULL DEFAULT '',
  contact_preferences jsonb NOT NULL DEFAULT '{}'::jsonb,
  enhanced_rights boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1,
  UNIQUE (case_id, label)
);

-- Suspect identity stays searchable (suspect-focused linkage needs it); need-to-know is enforced by policy.
CREATE TABLE suspects (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  label text NOT NULL,
  given_name text NOT NULL,
  family_name text NOT NULL,
  aliases jsonb NOT NULL DEFAULT '[]'::jsonb,
  date_of_birth date,
  addresses jsonb NOT NULL DEFAULT '[]'::jsonb,
  phones jsonb NOT NULL DEFAULT '[]'::jsonb,
  emails jsonb NOT NULL DEFAULT '[]'::jsonb,
  online_identifiers jsonb NOT NULL DEFAULT '[]'::jsonb,
  vehicles jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1,
  UNIQUE (case_id, label)
);
CREATE INDEX suspects_family_name ON suspects (lower(family_name));
CREATE INDEX suspects_dob ON suspects (date_of_birth);

CREATE TABLE witnesses (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  label text NOT NULL,
  name_enc text NOT NULL,
  contact_enc text,
  relationship text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1,
  UNIQUE (case_id, label)
);

CREATE TABLE case_team (
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id),
  force_id text NOT NULL,
  team_role text NOT NULL CHECK (team_role IN ('officer_in_case', 'investigator', 'supervisor', 'prosecutor',
    'district_crown_prosecutor', 'paralegal', 'vlo')),
  added_at timestamptz NOT NULL,
  added_by uuid REFERENCES users(id),
  PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_team_user ON case_team (user_id);

CREATE TABLE case_events (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL,
  kind text NOT NULL,
  summary text NOT NULL,
  actor_user_id uuid REFERENCES users(id),
  data jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX case_events_case ON case_events (case_id, occurred_at DESC);

-- Ground truth written only by the synthetic data generator: which synthetic suspects are one person.
-- Lets the linkage benchmark score itself; never filled from real data.
CREATE TABLE synthetic_suspect_identity (
  suspect_id uuid PRIMARY KEY REFERENCES suspects(id) ON DELETE CASCADE,
  person_key text NOT NULL
);
