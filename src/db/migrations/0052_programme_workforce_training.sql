-- Workforce (RASSO capacity over time) and training (courses, completions against targets, joint learning events).

-- One figure for one organisation at one date: CPS RASSO unit FTE by CPS Area, specialist investigators by force.
CREATE TABLE programme_workforce (
  id uuid PRIMARY KEY,
  measure text NOT NULL CHECK (measure IN ('cps_rasso_fte', 'police_specialist_investigators')),
  cps_area_id text REFERENCES cps_areas(id),
  force_id text REFERENCES forces(id),
  as_of date NOT NULL,
  value numeric(10, 1) NOT NULL CHECK (value >= 0),
  is_placeholder boolean NOT NULL DEFAULT false,
  recorded_by uuid REFERENCES users(id),
  recorded_at timestamptz NOT NULL,
  CHECK ((measure = 'cps_rasso_fte') = (cps_area_id IS NOT NULL AND force_id IS NULL)),
  CHECK ((measure = 'police_specialist_investigators') = (force_id IS NOT NULL AND cps_area_id IS NULL))
);
CREATE UNIQUE INDEX programme_workforce_area ON programme_workforce (measure, cps_area_id, as_of) WHERE cps_area_id IS NOT NULL;
CREATE UNIQUE INDEX programme_workforce_force ON programme_workforce (measure, force_id, as_of) WHERE force_id IS NOT NULL;

CREATE TABLE programme_courses (
  id text PRIMARY KEY,
  code text NOT NULL UNIQUE,
  name text NOT NULL,
  organisation text NOT NULL CHECK (organisation IN ('police', 'cps', 'joint')),
  target integer CHECK (target > 0),
  target_date date,
  refreshed_on date,
  note text NOT NULL DEFAULT ''
);

-- Completions in a period (the month ending on period_end), for one force. Several rows may add up in one period.
CREATE TABLE programme_training_completions (
  id uuid PRIMARY KEY,
  course_id text NOT NULL REFERENCES programme_courses(id),
  force_id text NOT NULL REFERENCES forces(id),
  period_end date NOT NULL,
  completed integer NOT NULL CHECK (completed > 0),
  is_placeholder boolean NOT NULL DEFAULT false,
  recorded_by uuid REFERENCES users(id),
  recorded_at timestamptz NOT NULL
);
CREATE INDEX programme_training_completions_course ON programme_training_completions (course_id, period_end);

CREATE TABLE programme_learning_events (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('conference', 'webinar', 'podcast', 'workshop')),
  title text NOT NULL,
  held_on date NOT NULL,
  is_placeholder boolean NOT NULL DEFAULT false
);
CREATE TABLE programme_learning_attendance (
  event_id text NOT NULL REFERENCES programme_learning_events(id),
  organisation text NOT NULL CHECK (organisation IN ('police', 'cps', 'isva', 'other')),
  attendees integer NOT NULL CHECK (attendees >= 0),
  PRIMARY KEY (event_id, organisation)
);

-- CPS RASSO units: 360 FTE (January 2021) → 611 FTE (2024), +70%, as the JNAP final report states for the national
-- total. The split between Areas and the October 2022 point are PLACEHOLDERS that add up to the stated totals.
INSERT INTO programme_workforce (id, measure, cps_area_id, as_of, value, is_placeholder, recorded_at)
SELECT gen_random_uuid(), 'cps_rasso_fte', a.id, p.as_of,
       CASE p.as_of WHEN DATE '2021-01-01' THEN CASE WHEN a.rn <= 10 THEN 26 ELSE 25 END
                    WHEN DATE '2022-10-01' THEN CASE WHEN a.rn <= 10 THEN 35 ELSE 34 END
                    ELSE CASE WHEN a.rn <= 9 THEN 44 ELSE 43 END END,
       true, TIMESTAMPTZ '2024-12-01 00:00:00+00'
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM cps_areas WHERE NOT is_cps_direct AND id IN (SELECT cps_area_id FROM organisations WHERE kind = 'rasso_unit')) a
 CROSS JOIN (VALUES (DATE '2021-01-01'), (DATE '2022-10-01'), (DATE '2024-05-31')) AS p(as_of)
ON CONFLICT DO NOTHING;

-- Police specialist investigators: no figures in the report, so every number here is a PLACEHOLDER.
INSERT INTO programme_workforce (id, measure, force_id, as_of, value, is_placeholder, recorded_at)
SELECT gen_random_uuid(), 'police_specialist_investigators', f.id, p.as_of, 20 + (f.rn % 7) * 5 + p.extra, true, TIMESTAMPTZ '2024-12-01 00:00:00+00'
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM forces) f
 CROSS JOIN (VALUES (DATE '2021-01-01', 0), (DATE '2024-05-31', 12)) AS p(as_of, extra)
ON CONFLICT DO NOTHING;

INSERT INTO programme_courses (id, code, name, organisation, target, target_date, refreshed_on, note) VALUES
  ('risdp', 'RISDP', 'Rape and Serious Sexual Offences Investigators'' Development Programme', 'police', 2000, '2024-05-31', NULL,
   'The JNAP final report: 4,540 officers trained by May 2024 against a target of 2,000.'),
  ('ssaidp', 'SSAIDP', 'Specialist Sexual Assault Investigators'' Development Programme', 'police', NULL, NULL, '2024-09-01',
   'Refreshed September 2024.'),
  ('cps-rasso-induction', 'CPS-RASSO', '[Placeholder] CPS RASSO prosecutor induction', 'cps', NULL, NULL, NULL, 'Placeholder course.')
ON CONFLICT (id) DO NOTHING;

-- RISDP: 4,540 completions by May 2024 (the report's total). The split by force and period is a PLACEHOLDER.
INSERT INTO programme_training_completions (id, course_id, force_id, period_end, completed, is_placeholder, recorded_at)
SELECT gen_random_uuid(), 'risdp', f.id, p.period_end,
       CASE p.period_end WHEN DATE '2023-05-31' THEN 50 ELSE CASE WHEN f.rn <= 25 THEN 56 ELSE 55 END END,
       true, TIMESTAMPTZ '2024-12-01 00:00:00+00'
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM forces) f
 CROSS JOIN (VALUES (DATE '2023-05-31'), (DATE '2024-05-31')) AS p(period_end)
 WHERE NOT EXISTS (SELECT 1 FROM programme_training_completions WHERE course_id = 'risdp' AND is_placeholder);

INSERT INTO programme_learning_events (id, kind, title, held_on, is_placeholder) VALUES
  ('jnap-conference-2023', 'conference', '[Placeholder] Joint national RASSO conference', '2023-06-15', true),
  ('jnap-webinar-2023', 'webinar', '[Placeholder] Joint webinar on Early Advice', '2023-11-09', true),
  ('jnap-podcast-2024', 'podcast', '[Placeholder] Joint learning podcast episode', '2024-02-20', true)
ON CONFLICT (id) DO NOTHING;
INSERT INTO programme_learning_attendance (event_id, organisation, attendees) VALUES
  ('jnap-conference-2023', 'police', 180), ('jnap-conference-2023', 'cps', 95), ('jnap-conference-2023', 'isva', 20), ('jnap-conference-2023', 'other', 15),
  ('jnap-webinar-2023', 'police', 240), ('jnap-webinar-2023', 'cps', 130),
  ('jnap-podcast-2024', 'police', 400), ('jnap-podcast-2024', 'cps', 210), ('jnap-podcast-2024', 'other', 60)
ON CONFLICT DO NOTHING;
