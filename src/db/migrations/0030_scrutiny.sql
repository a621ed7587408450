-- Scrutiny (issue 6): joint local rape scrutiny panels that review NFA decisions with redacted case packs, their
-- meetings, findings and recommendations; and JOIMs (joint operational improvement meetings) between a force and
-- its CPS Area. Case-owned rows carry force_id. No table here holds victim identity: packs store only redacted text.

CREATE TABLE scrutiny_panels (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  force_id text NOT NULL REFERENCES forces(id),
  cps_area_id text NOT NULL REFERENCES cps_areas(id),
  -- the organisation external (community and voluntary) members belong to
  organisation_id text REFERENCES organisations(id),
  created_by uuid NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1,
  UNIQUE (force_id, cps_area_id)
);

CREATE TABLE scrutiny_panel_members (
  panel_id uuid NOT NULL REFERENCES scrutiny_panels(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id),
  side text NOT NULL CHECK (side IN ('police', 'cps', 'external')),
  added_by uuid NOT NULL REFERENCES users(id),
  added_at timestamptz NOT NULL,
  PRIMARY KEY (panel_id, user_id)
);
CREATE INDEX scrutiny_panel_members_user ON scrutiny_panel_members (user_id);

-- A case selection: the rule (period, seed, sample size, themes) is stored so the same rule reproduces the same cases.
CREATE TABLE scrutiny_selections (
  id uuid PRIMARY KEY,
  panel_id uuid NOT NULL REFERENCES scrutiny_panels(id) ON DELETE CASCADE,
  period_from date NOT NULL,
  period_to date NOT NULL,
  rule jsonb NOT NULL,
  created_by uuid NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL,
  CHECK (period_from <= period_to)
);
CREATE INDEX scrutiny_selections_panel ON scrutiny_selections (panel_id, created_at DESC);

CREATE TABLE scrutiny_selected_cases (
  selection_id uuid NOT NULL REFERENCES scrutiny_selections(id) ON DELETE CASCADE,
  case_id uuid NOT NULL REFERENCES cases(id),
  force_id text NOT NULL,
  position integer NOT NULL,
  -- why the case was chosen: 'random' or a theme
  reasons jsonb NOT NULL,
  nfa_by text NOT NULL CHECK (nfa_by IN ('police', 'cps')),
  nfa_at timestamptz NOT NULL,
  outcome_type_code integer,
  PRIMARY KEY (selection_id, case_id)
);

-- A redacted case pack: generated once and frozen (redacted text only), checked and released by police or CPS.
CREATE TABLE scrutiny_packs (
  id uuid PRIMARY KEY,
  panel_id uuid NOT NULL REFERENCES scrutiny_panels(id) ON DELETE CASCADE,
  selection_id uuid NOT NULL REFERENCES scrutiny_selections(id) ON DELETE CASCADE,
  case_id uuid NOT NULL REFERENCES cases(id),
  force_id text NOT NULL,
  number integer NOT NULL,
  content jsonb NOT NULL,
  redactions integer NOT NULL DEFAULT 0,
  status text NOT NULL CHECK (status IN ('awaiting_release', 'released')),
  generated_by uuid NOT NULL REFERENCES users(id),
  generated_at timestamptz NOT NULL,
  released_by uuid REFERENCES users(id),
  released_at timestamptz,
  version integer NOT NULL DEFAULT 1,
  UNIQUE (panel_id, number),
  UNIQUE (selection_id, case_id),
  CHECK ((status = 'released') = (released_at IS NOT NULL))
);

CREATE TABLE scrutiny_meetings (
  id uuid PRIMARY KEY,
  panel_id uuid NOT NULL REFERENCES scrutiny_panels(id) ON DELETE CASCADE,
  held_on date NOT NULL,
  attendees jsonb NOT NULL DEFAULT '[]'::jsonb,
  pack_ids jsonb NOT NULL DEFAULT '[]'::jsonb,
  notes text NOT NULL DEFAULT '',
  recorded_by uuid NOT NULL REFERENCES users(id),
  recorded_at timestamptz NOT NULL
);
CREATE INDEX scrutiny_meetings_panel ON scrutiny_meetings (panel_id, held_on DESC);

CREATE TABLE scrutiny_findings (
  id uuid PRIMARY KEY,
  panel_id uuid NOT NULL REFERENCES scrutiny_panels(id) ON DELETE CASCADE,
  pack_id uuid NOT NULL REFERENCES scrutiny_packs(id) ON DELETE CASCADE,
  meeting_id uuid REFERENCES scrutiny_meetings(id),
  force_id text NOT NULL,
  themes jsonb NOT NULL CHECK (jsonb_array_length(themes) >= 1),
  text text NOT NULL CHECK (length(btrim(text)) > 0),
  recorded_by uuid NOT NULL REFERENCES users(id),
  recorded_at timestamptz NOT NULL
);
CREATE INDEX scrutiny_findings_panel ON scrutiny_findings (panel_id, recorded_at);

CREATE TABLE scrutiny_recommendations (
  id uuid PRIMARY KEY,
  panel_id uuid NOT NULL REFERENCES scrutiny_panels(id) ON DELETE CASCADE,
  pack_id uuid NOT NULL REFERENCES scrutiny_packs(id) ON DELETE CASCADE,
  finding_id uuid REFERENCES scrutiny_findings(id),
  force_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('reopen_ea', 'reflective_practice', 'policy_change')),
  text text NOT NULL CHECK (length(btrim(text)) > 0),
  owner_user_id uuid NOT NULL REFERENCES users(id),
  due_on date,
  status text NOT NULL CHECK (status IN ('open', 'in_progress', 'done', 'not_accepted')),
  status_note text NOT NULL DEFAULT '',
  ea_request_id uuid,
  recorded_by uuid NOT NULL REFERENCES users(id),
  recorded_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1
);
CREATE INDEX scrutiny_recommendations_panel ON scrutiny_recommendations (panel_id, status);
CREATE INDEX scrutiny_recommendations_owner ON scrutiny_recommendations (owner_user_id, status);

-- JOIMs: a force and its CPS Area meet, agree local priorities and actions with owners and due dates.
CREATE TABLE joim_meetings (
  id uuid PRIMARY KEY,
  force_id text NOT NULL REFERENCES forces(id),
  cps_area_id text NOT NULL REFERENCES cps_areas(id),
  held_on date NOT NULL,
  attendees text NOT NULL DEFAULT '',
  notes text NOT NULL DEFAULT '',
  recorded_by uuid NOT NULL REFERENCES users(id),
  recorded_at timestamptz NOT NULL
);
CREATE INDEX joim_meetings_pair ON joim_meetings (force_id, cps_area_id, held_on DESC);

CREATE TABLE joim_priorities (
  id uuid PRIMARY KEY,
  meeting_id uuid NOT NULL REFERENCES joim_meetings(id) ON DELETE CASCADE,
  title text NOT NULL CHECK (length(btrim(title)) > 0),
  recorded_at timestamptz NOT NULL
);

CREATE TABLE joim_actions (
  id uuid PRIMARY KEY,
  meeting_id uuid NOT NULL REFERENCES joim_meetings(id) ON DELETE CASCADE,
  priority_id uuid REFERENCES joim_priorities(id) ON DELETE SET NULL,
  text text NOT NULL CHECK (length(btrim(text)) > 0),
  owner_user_id uuid NOT NULL REFERENCES users(id),
  due_on date NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'done')),
  done_on date,
  recorded_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1
);
CREATE INDEX joim_actions_meeting ON joim_actions (meeting_id);
