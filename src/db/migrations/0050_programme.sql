-- The programme (issue 8): action plans and their commitments, status history, refreshes, updates; workforce;
-- training; pilots; anonymised case studies. Plan-level data, not case data, except pilot enrolment (case ids only).

CREATE TABLE programme_plans (
  id text PRIMARY KEY,
  short_name text NOT NULL UNIQUE,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  -- The plan this one succeeds (the Joint Rape Improvement Group follows the JNAP).
  predecessor_id text REFERENCES programme_plans(id),
  started_on date NOT NULL,
  -- The date of the plan's final report: its "final position" is the status history as at this date.
  reported_on date,
  version integer NOT NULL DEFAULT 1
);

CREATE TABLE programme_themes (
  id text PRIMARY KEY,
  plan_id text NOT NULL REFERENCES programme_plans(id),
  name text NOT NULL,
  position integer NOT NULL,
  is_placeholder boolean NOT NULL DEFAULT false,
  UNIQUE (plan_id, position)
);

CREATE TABLE programme_refreshes (
  id text PRIMARY KEY,
  plan_id text NOT NULL REFERENCES programme_plans(id),
  name text NOT NULL,
  refreshed_on date NOT NULL
);

CREATE TABLE programme_commitments (
  id text PRIMARY KEY,
  plan_id text NOT NULL REFERENCES programme_plans(id),
  reference text NOT NULL,
  title text NOT NULL,
  -- True where the report does not give the commitment's wording: shown as a placeholder everywhere.
  is_placeholder boolean NOT NULL DEFAULT false,
  owner text NOT NULL CHECK (owner IN ('police', 'cps', 'joint')),
  theme_id text REFERENCES programme_themes(id),
  start_date date,
  due_date date,
  -- Current status: always the latest row of programme_status_events (kept in the same transaction).
  status text NOT NULL CHECK (status IN ('not_started', 'in_progress', 'complete', 'expanded_in_scope', 'transferred')),
  transferred_to text,
  latest_update text NOT NULL DEFAULT '',
  outcome text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1,
  UNIQUE (plan_id, reference)
);
CREATE INDEX programme_commitments_plan ON programme_commitments (plan_id, reference);

-- The status history the summaries are computed from. effective_on orders it; seq breaks ties within a day.
CREATE TABLE programme_status_events (
  id uuid PRIMARY KEY,
  commitment_id text NOT NULL REFERENCES programme_commitments(id),
  seq integer NOT NULL,
  status text NOT NULL CHECK (status IN ('not_started', 'in_progress', 'complete', 'expanded_in_scope', 'transferred')),
  effective_on date NOT NULL,
  transferred_to text,
  note text NOT NULL DEFAULT '',
  recorded_by uuid REFERENCES users(id),
  recorded_at timestamptz NOT NULL,
  UNIQUE (commitment_id, seq),
  CHECK (status <> 'transferred' OR transferred_to IS NOT NULL)
);

-- What a refresh did to each commitment: carried over (still to deliver), added (new action), or closed (complete).
CREATE TABLE programme_refresh_items (
  refresh_id text NOT NULL REFERENCES programme_refreshes(id),
  commitment_id text NOT NULL REFERENCES programme_commitments(id),
  disposition text NOT NULL CHECK (disposition IN ('carried_over', 'added', 'closed')),
  PRIMARY KEY (refresh_id, commitment_id)
);

CREATE TABLE programme_updates (
  id uuid PRIMARY KEY,
  commitment_id text NOT NULL REFERENCES programme_commitments(id),
  body text NOT NULL,
  outcome text NOT NULL DEFAULT '',
  recorded_by uuid REFERENCES users(id),
  recorded_at timestamptz NOT NULL
);
CREATE INDEX programme_updates_commitment ON programme_updates (commitment_id, recorded_at DESC);
