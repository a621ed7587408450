-- Charging: full file submission (with a checklist of required material), CPS charging decisions, the face-to-face
-- meeting that precedes a CPS NFA, police outcomes, Victims' Right to Review windows and requests, and court
-- progress after charge. Every case-owned table carries force_id (the owning force).

-- The case stage gains "Early Advice given" and "pre-trial" (src/cases/stages.ts is the state machine).
ALTER TABLE cases DROP CONSTRAINT cases_stage_check;
ALTER TABLE cases ADD CONSTRAINT cases_stage_check CHECK (stage IN ('investigation', 'early_advice', 'early_advice_given',
  'charging_decision', 'charged', 'pre_trial', 'trial', 'convicted', 'acquitted', 'discontinued', 'nfa_police', 'nfa_cps',
  'administratively_finalised'));

-- Reference data: the material a full RASSO file for a charging decision should hold, after the CPS RASSO file
-- guidance and the Director's Guidance on Charging (6th edition). 'always' items are needed in every file;
-- 'if_applicable' items may be marked not applicable. The list is believed right but not confirmed against the
-- current guidance (needs_check): correct it here, never in code.
CREATE TABLE charging_file_items (
  code text PRIMARY KEY,
  title text NOT NULL,
  description text NOT NULL DEFAULT '',
  applicability text NOT NULL CHECK (applicability IN ('always', 'if_applicable')),
  sort_order integer NOT NULL,
  needs_check boolean NOT NULL DEFAULT true,
  active boolean NOT NULL DEFAULT true,
  version integer NOT NULL DEFAULT 1
);

INSERT INTO charging_file_items (code, title, description, applicability, sort_order) VALUES
  ('mg3', 'MG3 report to the Crown Prosecutor for a charging decision', 'The investigator’s report and the proposed charges, with the officer’s assessment of the evidence.', 'always', 10),
  ('mg5', 'MG5 case summary', 'A balanced summary of the evidence for and against the suspect.', 'always', 20),
  ('victim_interview', 'Victim’s ABE or VRI interview', 'Recording with a summary or transcript (Achieving Best Evidence / visually recorded interview).', 'always', 30),
  ('suspect_interview', 'Record of the suspect’s interview under caution', 'Record of taped interview or short descriptive note, and any prepared statement.', 'if_applicable', 40),
  ('first_account', 'First account evidence', 'The victim’s first account: 999 call, first complaint witness, body-worn video.', 'if_applicable', 50),
  ('witness_statements', 'MG11 statements of key witnesses', 'Statements of witnesses whose evidence is relied on.', 'if_applicable', 60),
  ('forensic_medical', 'Forensic and medical results', 'SARC or forensic medical examination, laboratory results, and the forensic strategy.', 'if_applicable', 70),
  ('digital_material', 'Digital material summary', 'Devices examined, what was downloaded and reviewed, and the digital strategy (proportionate, with reasons).', 'if_applicable', 80),
  ('third_party_schedule', 'Third-party material schedule', 'Medical, counselling, education and social care records sought, why each is a reasonable line of enquiry, and what was found.', 'if_applicable', 90),
  ('scene_cctv', 'Scene, CCTV and other physical evidence', 'Scene examination, CCTV, telephony and location evidence.', 'if_applicable', 100),
  ('bad_character', 'Suspect’s previous convictions and bad character evidence', 'PNC print and any bad character application material.', 'if_applicable', 110),
  ('special_measures', 'MG2 special measures assessment', 'Sexual-offence complainants are eligible automatically unless they opt out.', 'always', 120),
  ('vps_offer', 'Victim Personal Statement offered', 'Record that a VPS was offered, and the statement if made.', 'always', 130),
  ('mg6c', 'MG6C schedule of non-sensitive unused material', 'Unused material, described clearly enough for the prosecutor to review.', 'always', 140),
  ('mg6d', 'MG6D schedule of sensitive unused material', 'Sensitive unused material, with the reason it is sensitive.', 'if_applicable', 150),
  ('disclosure_management', 'Disclosure management document', 'The investigation’s reasonable lines of enquiry and the disclosure strategy.', 'always', 160);

-- A full file sent to the CPS for a charging decision. One file at a time awaits a decision; the police may update
-- it (supply missing material) until the CPS decides (optimistic concurrency on version).
CREATE TABLE charging_submissions (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  sequence integer NOT NULL CHECK (sequence >= 1),
  status text NOT NULL CHECK (status IN ('awaiting_decision', 'decided', 'returned')),
  summary text NOT NULL DEFAULT '',
  missing_note text NOT NULL DEFAULT '',
  submitted_by uuid NOT NULL REFERENCES users(id),
  submitted_at timestamptz NOT NULL,
  updated_by uuid REFERENCES users(id),
  updated_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1,
  UNIQUE (case_id, sequence)
);
CREATE UNIQUE INDEX charging_submissions_one_open ON charging_submissions (case_id) WHERE status = 'awaiting_decision';

CREATE TABLE charging_submission_items (
  submission_id uuid NOT NULL REFERENCES charging_submissions(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  item_code text NOT NULL REFERENCES charging_file_items(code),
  status text NOT NULL CHECK (status IN ('provided', 'missing', 'not_applicable')),
  PRIMARY KEY (submission_id, item_code)
);

-- The face-to-face meeting (in person or by video) between prosecutor and investigator that must precede a CPS NFA.
CREATE TABLE charging_meetings (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  submission_id uuid NOT NULL REFERENCES charging_submissions(id) ON DELETE CASCADE,
  held_on date NOT NULL,
  format text NOT NULL CHECK (format IN ('in_person', 'video')),
  attendees jsonb NOT NULL CHECK (jsonb_array_length(attendees) >= 2),
  notes text NOT NULL DEFAULT '',
  recorded_by uuid NOT NULL REFERENCES users(id),
  recorded_at timestamptz NOT NULL
);
CREATE INDEX charging_meetings_submission ON charging_meetings (submission_id, held_on);

-- The CPS decision on a file. Reasons are kept per stage of the Code for Crown Prosecutors.
CREATE TABLE charging_decisions (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  submission_id uuid NOT NULL UNIQUE REFERENCES charging_submissions(id) ON DELETE CASCADE,
  decision text NOT NULL CHECK (decision IN ('charge_full_code', 'charge_threshold', 'nfa_evidential', 'nfa_public_interest',
    'action_plan', 'administratively_finalised')),
  evidential_reasons text NOT NULL DEFAULT '',
  public_interest_reasons text NOT NULL DEFAULT '',
  -- Threshold Test: each of the four conditions confirmed, why the test applies, what further evidence is expected
  threshold_conditions jsonb NOT NULL DEFAULT '[]'::jsonb,
  threshold_reasons text NOT NULL DEFAULT '',
  further_evidence text NOT NULL DEFAULT '',
  full_code_review_on date,
  -- action plan / further evidence needed, and administrative finalisation
  action_plan text NOT NULL DEFAULT '',
  response_due date,
  reasons text NOT NULL DEFAULT '',
  meeting_id uuid REFERENCES charging_meetings(id),
  outcome_type_code integer REFERENCES outcome_types(code),
  decided_by uuid NOT NULL REFERENCES users(id),
  decided_at timestamptz NOT NULL,
  CHECK (decision NOT IN ('nfa_evidential', 'nfa_public_interest') OR meeting_id IS NOT NULL),
  CHECK (decision <> 'charge_full_code' OR (length(btrim(evidential_reasons)) > 0 AND length(btrim(public_interest_reasons)) > 0)),
  CHECK (decision <> 'charge_threshold' OR jsonb_array_length(threshold_conditions) = 4)
);
CREATE INDEX charging_decisions_case ON charging_decisions (case_id, decided_at);

CREATE TABLE charging_decision_offences (
  decision_id uuid NOT NULL REFERENCES charging_decisions(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  offence_code text NOT NULL REFERENCES offences(code),
  PRIMARY KEY (decision_id, offence_code)
);

-- The police close a case with a Home Office outcome type; without Early Advice they record why it was not sought.
CREATE TABLE police_outcomes (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  outcome_type_code integer NOT NULL REFERENCES outcome_types(code),
  reasons text NOT NULL CHECK (length(btrim(reasons)) > 0),
  had_early_advice boolean NOT NULL,
  ea_not_sought_reason text NOT NULL DEFAULT '',
  suspect_interviewed boolean NOT NULL,
  decided_by uuid NOT NULL REFERENCES users(id),
  decided_at timestamptz NOT NULL,
  CHECK (had_early_advice OR length(btrim(ea_not_sought_reason)) > 0)
);
CREATE INDEX police_outcomes_case ON police_outcomes (case_id, decided_at);

-- Court progress after charge (sent for trial, plea, trial, verdict, discontinuance).
CREATE TABLE court_progress (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  step text NOT NULL CHECK (step IN ('sent_for_trial', 'trial_listed', 'guilty_plea', 'convicted', 'acquitted', 'discontinued')),
  occurred_on date NOT NULL,
  notes text NOT NULL DEFAULT '',
  recorded_by uuid NOT NULL REFERENCES users(id),
  recorded_at timestamptz NOT NULL
);
CREATE INDEX court_progress_case ON court_progress (case_id, occurred_on);

-- Victims' Right to Review. An NFA decision (police or CPS) or a discontinuance opens a window: police scheme, a
-- request within 3 months; CPS scheme, normally within 10 working days, up to 3 months (later only exceptionally).
-- Dates are London calendar dates, computed with England and Wales bank holidays.
CREATE TABLE vrr_windows (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  scheme text NOT NULL CHECK (scheme IN ('police', 'cps')),
  source_kind text NOT NULL CHECK (source_kind IN ('police_outcome', 'charging_decision', 'discontinuance')),
  source_id uuid NOT NULL,
  opened_on date NOT NULL,
  normal_deadline date NOT NULL,
  latest_deadline date NOT NULL,
  -- who made the decision (reminders go to them and to the case team on that side)
  opened_by uuid NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL,
  CHECK (opened_on <= normal_deadline AND normal_deadline <= latest_deadline),
  UNIQUE (source_kind, source_id)
);
CREATE INDEX vrr_windows_case ON vrr_windows (case_id, opened_on);

CREATE TABLE vrr_requests (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  window_id uuid NOT NULL REFERENCES vrr_windows(id) ON DELETE CASCADE,
  scheme text NOT NULL CHECK (scheme IN ('police', 'cps')),
  requested_on date NOT NULL,
  -- in_time: within the normal window; late: CPS scheme, after 10 working days but within 3 months;
  -- out_of_time: after the latest date (considered only exceptionally)
  timeliness text NOT NULL CHECK (timeliness IN ('in_time', 'late', 'out_of_time')),
  late_reason text NOT NULL DEFAULT '',
  -- police scheme: acknowledge within 10 working days and complete within 30 working days of the request
  acknowledge_due date,
  complete_due date,
  acknowledged_on date,
  review_level text CHECK (review_level IN ('local_resolution', 'independent_review')),
  result text CHECK (result IN ('upheld', 'overturned')),
  result_on date,
  result_notes text NOT NULL DEFAULT '',
  status text NOT NULL CHECK (status IN ('received', 'acknowledged', 'completed')),
  recorded_by uuid NOT NULL REFERENCES users(id),
  recorded_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1,
  CHECK (timeliness = 'in_time' OR length(btrim(late_reason)) > 0),
  CHECK ((status = 'completed') = (result IS NOT NULL AND result_on IS NOT NULL))
);
CREATE INDEX vrr_requests_case ON vrr_requests (case_id, requested_on);
CREATE UNIQUE INDEX vrr_requests_one_open ON vrr_requests (window_id) WHERE status <> 'completed';
