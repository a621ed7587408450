-- Pilots (enrolled cases and items received; readiness is derived from the cases' stages, never stored) and
-- anonymised case studies linked to themes.

CREATE TABLE programme_pilots (
  id text PRIMARY KEY,
  commitment_id text REFERENCES programme_commitments(id),
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  item_label text NOT NULL DEFAULT 'items',
  started_on date NOT NULL,
  version integer NOT NULL DEFAULT 1
);

-- Case ids only: the pilot dashboard shows reference and stage through the case file's service.
CREATE TABLE programme_pilot_cases (
  pilot_id text NOT NULL REFERENCES programme_pilots(id),
  case_id uuid NOT NULL REFERENCES cases(id),
  enrolled_at timestamptz NOT NULL,
  enrolled_by uuid REFERENCES users(id),
  PRIMARY KEY (pilot_id, case_id)
);

CREATE TABLE programme_pilot_items (
  id uuid PRIMARY KEY,
  pilot_id text NOT NULL REFERENCES programme_pilots(id),
  case_id uuid REFERENCES cases(id),
  label text NOT NULL,
  received_on date NOT NULL,
  is_placeholder boolean NOT NULL DEFAULT false,
  recorded_by uuid REFERENCES users(id),
  recorded_at timestamptz NOT NULL
);
CREATE INDEX programme_pilot_items_pilot ON programme_pilot_items (pilot_id, received_on);

-- Text is stored only after redaction; the redaction count says how much was taken out.
CREATE TABLE programme_case_studies (
  id uuid PRIMARY KEY,
  theme_id text NOT NULL REFERENCES programme_themes(id),
  title text NOT NULL,
  body text NOT NULL,
  learning text NOT NULL DEFAULT '',
  redactions integer NOT NULL DEFAULT 0,
  linked_case_id uuid REFERENCES cases(id),
  recorded_by uuid REFERENCES users(id),
  recorded_at timestamptz NOT NULL
);
CREATE INDEX programme_case_studies_theme ON programme_case_studies (theme_id, recorded_at DESC);

INSERT INTO programme_pilots (id, commitment_id, name, description, item_label, started_on) VALUES
  ('psychological-injury', 'jnap-32', 'Psychological injury evaluation pilot',
   'Reports on psychological injury to victims. The evaluation is due once the pilot cases are finalised at court. Start date is a placeholder.',
   'reports', '2022-01-01')
ON CONFLICT (id) DO NOTHING;

-- The report: 80 reports received. Their dates are PLACEHOLDERS; they are not linked to cases in a new database.
INSERT INTO programme_pilot_items (id, pilot_id, label, received_on, is_placeholder, recorded_at)
SELECT gen_random_uuid(), 'psychological-injury', '[Placeholder] Psychological injury report ' || n, DATE '2022-03-01' + n * 9, true, TIMESTAMPTZ '2024-12-01 00:00:00+00'
  FROM generate_series(1, 80) AS n
 WHERE NOT EXISTS (SELECT 1 FROM programme_pilot_items WHERE pilot_id = 'psychological-injury' AND is_placeholder);
