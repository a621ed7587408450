-- Early Advice (EA) under the police–CPS MoU: requests routed to the RASSO unit of the case's CPS Area, the
-- conversation that must accompany advice, the advice and its action plan of reasonable lines of enquiry, and
-- case conferences. Every table carries force_id (the owning force), like every case-owned table.

CREATE TABLE ea_requests (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  -- the Area whose RASSO unit the request was routed to (the case's Area when it was made)
  cps_area_id text NOT NULL REFERENCES cps_areas(id),
  -- the case reference (immutable), so queues and reminders need not read the case file
  case_reference text NOT NULL,
  sequence integer NOT NULL CHECK (sequence >= 1),
  case_summary text NOT NULL,
  questions text NOT NULL,
  strategy text NOT NULL,
  priority text NOT NULL CHECK (priority IN ('urgent', 'high', 'standard')),
  status text NOT NULL CHECK (status IN ('awaiting_allocation', 'allocated', 'awaiting_review', 'advice_given')),
  requested_by uuid NOT NULL REFERENCES users(id),
  requested_at timestamptz NOT NULL,
  -- response target: a London date, n working days after the request (n by priority)
  target_date date NOT NULL,
  target_working_days integer NOT NULL,
  allocated_to uuid REFERENCES users(id),
  allocated_by uuid REFERENCES users(id),
  allocated_at timestamptz,
  advice_given_at timestamptz,
  version integer NOT NULL DEFAULT 1,
  UNIQUE (case_id, sequence),
  CHECK (status = 'awaiting_allocation' OR allocated_to IS NOT NULL),
  CHECK ((status = 'advice_given') = (advice_given_at IS NOT NULL))
);
CREATE INDEX ea_requests_queue ON ea_requests (cps_area_id, status, requested_at);
CREATE INDEX ea_requests_case ON ea_requests (case_id, sequence);
CREATE INDEX ea_requests_allocated ON ea_requests (allocated_to) WHERE allocated_to IS NOT NULL;
-- Repeat Early Advice is allowed, but one request at a time per case.
CREATE UNIQUE INDEX ea_requests_one_open ON ea_requests (case_id) WHERE status <> 'advice_given';

-- The MoU requires a conversation between prosecutor and investigator whenever advice is given.
CREATE TABLE ea_conversations (
  id uuid PRIMARY KEY,
  request_id uuid NOT NULL REFERENCES ea_requests(id) ON DELETE CASCADE,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  held_at timestamptz NOT NULL,
  channel text NOT NULL CHECK (channel IN ('in_person', 'video', 'phone')),
  -- case team members who took part: [{ "userId", "name", "organisation", "side": "police" | "cps" }]
  participants jsonb NOT NULL CHECK (jsonb_array_length(participants) >= 2),
  -- anyone else, by name and role (not users)
  other_participants jsonb NOT NULL DEFAULT '[]'::jsonb,
  recorded_by uuid NOT NULL REFERENCES users(id),
  recorded_at timestamptz NOT NULL
);
CREATE INDEX ea_conversations_case ON ea_conversations (case_id);

-- The advice. With lines of enquiry it is an action plan; the second and later plans on a case are issued to the
-- police only after a District Crown Prosecutor other than the drafter approves them (two-person rule).
CREATE TABLE ea_advice (
  id uuid PRIMARY KEY,
  request_id uuid NOT NULL UNIQUE REFERENCES ea_requests(id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL UNIQUE REFERENCES ea_conversations(id),
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  advice text NOT NULL CHECK (length(btrim(advice)) > 0),
  -- the n-th action plan on the case; NULL when the advice agreed no lines of enquiry
  plan_number integer CHECK (plan_number IS NULL OR plan_number >= 1),
  status text NOT NULL CHECK (status IN ('awaiting_review', 'issued')),
  drafted_by uuid NOT NULL REFERENCES users(id),
  drafted_at timestamptz NOT NULL,
  reviewed_by uuid REFERENCES users(id),
  reviewed_at timestamptz,
  review_note text NOT NULL DEFAULT '',
  issued_at timestamptz,
  version integer NOT NULL DEFAULT 1,
  UNIQUE (case_id, plan_number),
  CHECK ((status = 'issued') = (issued_at IS NOT NULL)),
  CHECK (reviewed_by IS NULL OR reviewed_by <> drafted_by),
  CHECK (status <> 'issued' OR plan_number IS NULL OR plan_number = 1 OR reviewed_by IS NOT NULL)
);
CREATE INDEX ea_advice_case ON ea_advice (case_id);

CREATE TABLE ea_lines_of_enquiry (
  id uuid PRIMARY KEY,
  advice_id uuid NOT NULL REFERENCES ea_advice(id) ON DELETE CASCADE,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  number integer NOT NULL CHECK (number >= 1),
  description text NOT NULL CHECK (length(btrim(description)) > 0),
  category text NOT NULL CHECK (category IN ('general', 'third_party_material', 'digital_device')),
  -- why the request is necessary and proportionate: required for third-party material and digital devices
  rationale text NOT NULL DEFAULT '',
  owner_user_id uuid NOT NULL REFERENCES users(id),
  due_date date NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'done', 'not_pursued')),
  status_note text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by uuid REFERENCES users(id),
  completed_at timestamptz,
  version integer NOT NULL DEFAULT 1,
  UNIQUE (case_id, number),
  CHECK (category = 'general' OR length(btrim(rationale)) > 0)
);
CREATE INDEX ea_loe_case ON ea_lines_of_enquiry (case_id, number);
CREATE INDEX ea_loe_owner ON ea_lines_of_enquiry (owner_user_id, due_date) WHERE status IN ('open', 'in_progress');

-- Early case planning and forensic strategy conferences. External attendees (e.g. forensic scientists) are named
-- here and are not users.
CREATE TABLE ea_conferences (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('early_case_planning', 'forensic_strategy')),
  held_at timestamptz NOT NULL,
  channel text NOT NULL CHECK (channel IN ('in_person', 'video', 'phone')),
  participants jsonb NOT NULL DEFAULT '[]'::jsonb,
  external_attendees jsonb NOT NULL DEFAULT '[]'::jsonb,
  agreed_strategy text NOT NULL CHECK (length(btrim(agreed_strategy)) > 0),
  recorded_by uuid NOT NULL REFERENCES users(id),
  recorded_at timestamptz NOT NULL
);
CREATE INDEX ea_conferences_case ON ea_conferences (case_id, held_at);

CREATE TABLE ea_conference_actions (
  id uuid PRIMARY KEY,
  conference_id uuid NOT NULL REFERENCES ea_conferences(id) ON DELETE CASCADE,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  position integer NOT NULL,
  description text NOT NULL,
  responsible text NOT NULL,
  due_date date NOT NULL,
  UNIQUE (conference_id, position)
);
