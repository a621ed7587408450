-- Behavioural similarity (issue 5): structured modus operandi features of the offence on a case, one row per case.
-- Each column holds codes from src/linkage/mo.ts; the similarity of two cases is computed over the set of codes.
CREATE TABLE offence_mo (
  case_id uuid PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  approach text[] NOT NULL DEFAULT '{}',
  facilitation text[] NOT NULL DEFAULT '{}',
  victim_incapacitated boolean,
  location_type text,
  time_of_day text,
  violence text[] NOT NULL DEFAULT '{}',
  escort_home boolean,
  updated_by uuid REFERENCES users(id),
  updated_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1
);
CREATE INDEX offence_mo_force ON offence_mo (force_id);
