-- Suspect linkage (issue 5): alerts raised when a suspect is recorded, the proposed links with their explanation,
-- the investigator's feedback on each link, and information-sharing requests between forces.

-- One check of one suspect against every person on record (the latest check per suspect is the live alert).
CREATE TABLE linkage_alerts (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  suspect_id uuid NOT NULL REFERENCES suspects(id) ON DELETE CASCADE,
  checked_at timestamptz NOT NULL,
  -- how the check went: candidates gathered from the blocks, scored within the time budget, and whether it ran out
  candidates integer NOT NULL,
  scored integer NOT NULL,
  truncated boolean NOT NULL,
  elapsed_ms real NOT NULL,
  match_count integer NOT NULL
);
CREATE INDEX linkage_alerts_case ON linkage_alerts (case_id, checked_at DESC);
CREATE INDEX linkage_alerts_suspect ON linkage_alerts (suspect_id, checked_at DESC);

-- A proposed link: suspect on this case ↔ a person recorded on another case. One row per pair of suspect records;
-- a re-check updates the score but keeps the investigator's decision.
CREATE TABLE linkage_matches (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  suspect_id uuid NOT NULL REFERENCES suspects(id) ON DELETE CASCADE,
  other_suspect_id uuid NOT NULL REFERENCES suspects(id) ON DELETE CASCADE,
  other_case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  other_force_id text NOT NULL,
  probability double precision NOT NULL,
  weight double precision NOT NULL,
  -- per-field contributions (prior, field, level, label, log2 Bayes factor, TF part) for the waterfall; values compared
  -- are NOT stored: they are read from the records when shown, so the sharing rule applies to them
  explanation jsonb NOT NULL,
  -- comparison level per field, kept for refitting with feedback
  levels jsonb NOT NULL,
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  -- the investigator's feedback
  decision text CHECK (decision IN ('confirmed', 'rejected')),
  decision_note text NOT NULL DEFAULT '',
  decided_by uuid REFERENCES users(id),
  decided_at timestamptz,
  version integer NOT NULL DEFAULT 1,
  UNIQUE (suspect_id, other_suspect_id)
);
CREATE INDEX linkage_matches_case ON linkage_matches (case_id, probability DESC);
CREATE INDEX linkage_matches_decided ON linkage_matches (decided_at) WHERE decision IS NOT NULL;

-- A request from the force holding one case to the force holding the other, to see that case's details.
CREATE TABLE linkage_sharing_requests (
  id uuid PRIMARY KEY,
  match_id uuid NOT NULL REFERENCES linkage_matches(id) ON DELETE CASCADE,
  requesting_case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  requesting_force_id text NOT NULL,
  requested_by uuid NOT NULL REFERENCES users(id),
  requested_at timestamptz NOT NULL,
  reason text NOT NULL,
  target_case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  target_force_id text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused')),
  decided_by uuid REFERENCES users(id),
  decided_at timestamptz,
  decision_reason text NOT NULL DEFAULT '',
  version integer NOT NULL DEFAULT 1
);
-- at most one open (pending or approved) request per link
CREATE UNIQUE INDEX linkage_sharing_one_open ON linkage_sharing_requests (match_id) WHERE status IN ('pending', 'approved');
CREATE INDEX linkage_sharing_target ON linkage_sharing_requests (target_force_id, status, requested_at DESC);
