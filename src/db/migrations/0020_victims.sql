-- Victim engagement (issue 4): ISVA consent and mailbox, Victim Liaison Officers, Victims' Code clocks, the shared
-- contact log, pre-trial meetings, special measures and victim communications. Every case-owned table carries
-- force_id (the owning force). No table here holds victim identity in clear: names stay in victims.name_enc, and
-- a rendered letter (which greets the victim by name) is encrypted like the victim's own fields.

-- Events that oblige the police or the CPS to update the victim (Victims' Code right 6), and who tells the victim.
-- Reference data: who owns each update is believed right but should be confirmed locally (needs_check).
CREATE TABLE victim_duty_kinds (
  kind text PRIMARY KEY,
  label text NOT NULL,
  -- what the victim's ISVA may see it as, given consent: a key date or a decision
  category text NOT NULL CHECK (category IN ('key_date', 'decision')),
  owner_side text NOT NULL CHECK (owner_side IN ('police', 'cps')),
  needs_check boolean NOT NULL DEFAULT true,
  position integer NOT NULL,
  version integer NOT NULL DEFAULT 1
);

INSERT INTO victim_duty_kinds (kind, label, category, owner_side, needs_check, position) VALUES
  ('arrest', 'Suspect arrested', 'key_date', 'police', false, 1),
  ('interview_under_caution', 'Suspect interviewed under caution', 'key_date', 'police', false, 2),
  ('released_without_charge', 'Suspect released without charge', 'key_date', 'police', false, 3),
  ('released_on_bail', 'Suspect released on bail', 'key_date', 'police', false, 4),
  ('released_under_investigation', 'Suspect released under investigation', 'key_date', 'police', false, 5),
  ('charging_decision', 'Charging decision: suspect charged', 'decision', 'police', true, 6),
  ('nfa_police', 'No further action (police decision)', 'decision', 'police', false, 7),
  ('nfa_cps', 'No further action (CPS decision)', 'decision', 'cps', true, 8),
  ('trial_date_set', 'Trial date set', 'key_date', 'police', true, 9),
  ('plea_entered', 'Plea entered at court', 'key_date', 'police', true, 10),
  ('trial_outcome', 'Outcome of the case at court', 'decision', 'police', true, 11);

-- One row per event on a case; recording the same event twice (same kind, same instant) is a no-op.
CREATE TABLE victim_code_events (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  kind text NOT NULL REFERENCES victim_duty_kinds(kind),
  occurred_at timestamptz NOT NULL,
  -- a date the event is about, e.g. the trial date or the bail return date
  subject_date date,
  recorded_by uuid REFERENCES users(id),
  recorded_at timestamptz NOT NULL,
  UNIQUE (case_id, kind, occurred_at)
);
CREATE INDEX victim_code_events_case ON victim_code_events (case_id, occurred_at);

-- The one contact log per victim, shared by police, CPS and the victim's ISVA.
CREATE TABLE victim_contacts (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  victim_id uuid NOT NULL REFERENCES victims(id) ON DELETE CASCADE,
  contacted_at timestamptz NOT NULL,
  channel text NOT NULL CHECK (channel IN ('phone', 'text_message', 'email', 'letter', 'in_person', 'video', 'via_isva')),
  voicemail_left boolean NOT NULL DEFAULT false,
  purpose text NOT NULL CHECK (purpose IN ('code_update', 'decision', 'court', 'pre_trial_meeting', 'special_measures', 'support', 'other')),
  note text NOT NULL DEFAULT '',
  side text NOT NULL CHECK (side IN ('police', 'cps', 'isva')),
  contacted_by uuid NOT NULL REFERENCES users(id),
  organisation_id text NOT NULL REFERENCES organisations(id),
  -- the victim's contact preferences this contact went against, and why (the service warned first)
  preference_warnings jsonb NOT NULL DEFAULT '[]'::jsonb,
  override_reason text NOT NULL DEFAULT '',
  recorded_at timestamptz NOT NULL
);
CREATE INDEX victim_contacts_victim ON victim_contacts (victim_id, contacted_at DESC);

-- A duty to tell one victim about one event: due by the end of the 1st (enhanced rights) or 5th working day after
-- it; met by a contact in the log. alerted_* records the one overdue alert sent to the owner.
CREATE TABLE victim_duties (
  id uuid PRIMARY KEY,
  event_id uuid NOT NULL REFERENCES victim_code_events(id) ON DELETE CASCADE,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  victim_id uuid NOT NULL REFERENCES victims(id) ON DELETE CASCADE,
  kind text NOT NULL REFERENCES victim_duty_kinds(kind),
  owner_side text NOT NULL CHECK (owner_side IN ('police', 'cps')),
  enhanced boolean NOT NULL,
  working_days integer NOT NULL CHECK (working_days IN (1, 5)),
  due_date date NOT NULL,
  due_at timestamptz NOT NULL,
  met_at timestamptz,
  met_by_contact_id uuid REFERENCES victim_contacts(id),
  alerted_at timestamptz,
  alerted_user_id uuid REFERENCES users(id),
  created_at timestamptz NOT NULL,
  UNIQUE (event_id, victim_id),
  CHECK ((met_at IS NULL) = (met_by_contact_id IS NULL))
);
CREATE INDEX victim_duties_case ON victim_duties (case_id, due_at);
CREATE INDEX victim_duties_open ON victim_duties (due_at) WHERE met_at IS NULL;
CREATE INDEX victim_duties_force ON victim_duties (force_id, due_at);

-- The victim's consent to share with a named ISVA: what (scope), when it was given, and to whom. Revocation ends
-- access at once; rows are kept as the record of consent.
CREATE TABLE isva_consents (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  victim_id uuid NOT NULL REFERENCES victims(id) ON DELETE CASCADE,
  isva_user_id uuid NOT NULL REFERENCES users(id),
  isva_organisation_id text NOT NULL REFERENCES organisations(id),
  scope jsonb NOT NULL CHECK (jsonb_typeof(scope) = 'array' AND jsonb_array_length(scope) >= 1),
  given_on date NOT NULL,
  method text NOT NULL CHECK (method IN ('written', 'verbal', 'electronic')),
  recorded_by uuid NOT NULL REFERENCES users(id),
  recorded_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_by uuid REFERENCES users(id),
  revocation_reason text NOT NULL DEFAULT '',
  version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX isva_consents_one_active ON isva_consents (victim_id, isva_user_id) WHERE revoked_at IS NULL;
CREATE INDEX isva_consents_isva ON isva_consents (isva_user_id) WHERE revoked_at IS NULL;
CREATE INDEX isva_consents_case ON isva_consents (case_id);

-- A CPS Victim Liaison Officer for each victim of a charged case; one current assignment per victim.
CREATE TABLE vlo_assignments (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  victim_id uuid NOT NULL REFERENCES victims(id) ON DELETE CASCADE,
  cps_area_id text NOT NULL REFERENCES cps_areas(id),
  vlo_user_id uuid NOT NULL REFERENCES users(id),
  assigned_at timestamptz NOT NULL,
  assigned_by uuid NOT NULL REFERENCES users(id),
  ended_at timestamptz,
  ended_by uuid REFERENCES users(id),
  version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX vlo_assignments_current ON vlo_assignments (victim_id) WHERE ended_at IS NULL;
CREATE INDEX vlo_assignments_vlo ON vlo_assignments (vlo_user_id) WHERE ended_at IS NULL;

-- Pleas recorded by the prosecutor; a not-guilty plea makes the offer of a pre-trial meeting due.
CREATE TABLE trial_pleas (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  plea text NOT NULL CHECK (plea IN ('guilty', 'not_guilty')),
  entered_on date NOT NULL,
  recorded_by uuid NOT NULL REFERENCES users(id),
  recorded_at timestamptz NOT NULL
);
CREATE INDEX trial_pleas_case ON trial_pleas (case_id, entered_on);

CREATE TABLE pre_trial_meetings (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  victim_id uuid NOT NULL REFERENCES victims(id) ON DELETE CASCADE,
  plea_id uuid NOT NULL REFERENCES trial_pleas(id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('offer_due', 'offered', 'accepted', 'declined', 'held')),
  offer_due_date date NOT NULL,
  offered_on date,
  offer_channel text CHECK (offer_channel IS NULL OR offer_channel IN ('phone', 'email', 'letter', 'in_person', 'video', 'via_isva')),
  response text CHECK (response IS NULL OR response IN ('accepted', 'declined')),
  responded_on date,
  held_on date,
  attendees jsonb NOT NULL DEFAULT '[]'::jsonb,
  topics jsonb NOT NULL DEFAULT '[]'::jsonb,
  outcome text NOT NULL DEFAULT '',
  actions jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by uuid REFERENCES users(id),
  version integer NOT NULL DEFAULT 1,
  UNIQUE (victim_id, plea_id),
  CHECK (response IS NULL OR offered_on IS NOT NULL),
  CHECK (held_on IS NULL OR response = 'accepted')
);
CREATE INDEX pre_trial_meetings_case ON pre_trial_meetings (case_id);

-- Special measures (Youth Justice and Criminal Evidence Act 1999 ss.23–30) for a victim or a witness.
CREATE TABLE special_measures (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  victim_id uuid REFERENCES victims(id) ON DELETE CASCADE,
  witness_id uuid REFERENCES witnesses(id) ON DELETE CASCADE,
  measure text NOT NULL CHECK (measure IN ('s23_screens', 's24_live_link', 's25_evidence_in_private', 's26_wigs_and_gowns',
    's27_video_evidence_in_chief', 's28_pre_recorded_cross_examination', 's29_intermediary', 's30_communication_aids')),
  status text NOT NULL CHECK (status IN ('discussed', 'requested', 'applied', 'granted', 'refused')),
  wishes text NOT NULL DEFAULT '',
  notes text NOT NULL DEFAULT '',
  created_by uuid NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL,
  updated_by uuid NOT NULL REFERENCES users(id),
  updated_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1,
  CHECK ((victim_id IS NULL) <> (witness_id IS NULL))
);
CREATE UNIQUE INDEX special_measures_victim ON special_measures (victim_id, measure) WHERE victim_id IS NOT NULL;
CREATE UNIQUE INDEX special_measures_witness ON special_measures (witness_id, measure) WHERE witness_id IS NOT NULL;
CREATE INDEX special_measures_case ON special_measures (case_id);

-- The ISVA mailbox: a query goes to the RASSO unit of the case's CPS Area, or, without a case, of the Area covering
-- the force the ISVA names. Target and first reply give the unit's response-time statistics.
CREATE SEQUENCE isva_query_seq;
CREATE TABLE isva_queries (
  id uuid PRIMARY KEY,
  reference text NOT NULL UNIQUE,
  isva_user_id uuid NOT NULL REFERENCES users(id),
  isva_organisation_id text NOT NULL REFERENCES organisations(id),
  case_id uuid REFERENCES cases(id) ON DELETE SET NULL,
  case_reference text,
  named_force_id text REFERENCES forces(id),
  cps_area_id text NOT NULL REFERENCES cps_areas(id),
  routed_by text NOT NULL CHECK (routed_by IN ('case', 'force')),
  subject text NOT NULL CHECK (length(btrim(subject)) > 0),
  status text NOT NULL CHECK (status IN ('awaiting_reply', 'replied', 'closed')),
  created_at timestamptz NOT NULL,
  target_working_days integer NOT NULL,
  target_date date NOT NULL,
  target_at timestamptz NOT NULL,
  first_reply_at timestamptz,
  first_reply_by uuid REFERENCES users(id),
  last_message_at timestamptz NOT NULL,
  closed_at timestamptz,
  closed_by uuid REFERENCES users(id),
  version integer NOT NULL DEFAULT 1,
  CHECK (routed_by <> 'case' OR case_id IS NOT NULL OR case_reference IS NOT NULL),
  CHECK (routed_by <> 'force' OR named_force_id IS NOT NULL)
);
CREATE INDEX isva_queries_inbox ON isva_queries (cps_area_id, status, created_at);
CREATE INDEX isva_queries_isva ON isva_queries (isva_user_id, created_at DESC);

CREATE TABLE isva_query_messages (
  id uuid PRIMARY KEY,
  query_id uuid NOT NULL REFERENCES isva_queries(id) ON DELETE CASCADE,
  author_user_id uuid NOT NULL REFERENCES users(id),
  side text NOT NULL CHECK (side IN ('isva', 'cps')),
  body text NOT NULL CHECK (length(btrim(body)) > 0),
  created_at timestamptz NOT NULL
);
CREATE INDEX isva_query_messages_query ON isva_query_messages (query_id, created_at);

-- Letters and messages to the victim from standard templates. The rendered text names the victim, so it is
-- encrypted (AAD victim_letters/body/id); sending goes through the jobs table to a provider adapter (the embedded
-- default "delivers" to this table, shown in the case's outbox).
CREATE TABLE victim_letters (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  victim_id uuid NOT NULL REFERENCES victims(id) ON DELETE CASCADE,
  template text NOT NULL CHECK (template IN ('case_decision', 'nfa_review_rights', 'pre_trial_meeting_offer')),
  channel text NOT NULL CHECK (channel IN ('letter', 'email')),
  body_enc text NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'delivered', 'failed')),
  provider text,
  provider_ref text,
  contact_id uuid REFERENCES victim_contacts(id),
  created_by uuid NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL,
  delivered_at timestamptz
);
CREATE INDEX victim_letters_case ON victim_letters (case_id, created_at DESC);
