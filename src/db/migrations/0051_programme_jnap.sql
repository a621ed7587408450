-- Preloads the Joint National Action Plan (JNAP) as its final report (2024) describes it, and its successor, the
-- Joint Rape Improvement Group. Idempotent (ON CONFLICT DO NOTHING), so it is safe on any database.
-- What the report states: 32 original commitments (January 2021); at the October 2022 refresh 24 complete and 8 in
-- progress; 12 new actions added, so 20 to deliver; finally 19 complete, 1 in progress (the psychological injury
-- evaluation pilot), 2 expanded in scope and moved to other governance. Everything else here (the wording of other
-- commitments, owners, themes, exact days) is a PLACEHOLDER and is marked as such (is_placeholder, "[Placeholder]").

INSERT INTO programme_plans (id, short_name, name, description, predecessor_id, started_on, reported_on) VALUES
  ('jnap', 'JNAP', 'Joint National Action Plan on rape',
   'The joint police and CPS action plan (January 2021) and its October 2022 refresh. The final report (2024) gives the counts. Day-of-month dates are placeholders.',
   NULL, '2021-01-01', '2024-12-01')
ON CONFLICT (id) DO NOTHING;
INSERT INTO programme_plans (id, short_name, name, description, predecessor_id, started_on, reported_on) VALUES
  ('jrig', 'JRIG', 'Joint Rape Improvement Group',
   'The successor to the JNAP, working to four themes. Start date is a placeholder.', 'jnap', '2024-12-01', NULL)
ON CONFLICT (id) DO NOTHING;

INSERT INTO programme_themes (id, plan_id, name, position, is_placeholder) VALUES
  ('jnap-victims', 'jnap', '[Placeholder] Victim engagement and support', 1, true),
  ('jnap-investigation', 'jnap', '[Placeholder] Investigation and case building', 2, true),
  ('jnap-workforce', 'jnap', '[Placeholder] Workforce, training and wellbeing', 3, true),
  ('jnap-data', 'jnap', '[Placeholder] Data and performance', 4, true),
  ('jrig-leadership', 'jrig', 'Leadership and culture', 1, false),
  ('jrig-improvement', 'jrig', 'Continuous improvement and measuring benefits', 2, false),
  ('jrig-innovation', 'jrig', 'Innovation for changing offending', 3, false),
  ('jrig-wider-cjs', 'jrig', 'Influencing the wider criminal justice system', 4, false)
ON CONFLICT (id) DO NOTHING;

INSERT INTO programme_refreshes (id, plan_id, name, refreshed_on) VALUES
  ('jnap-2022-10', 'jnap', 'October 2022 refresh', '2022-10-01')
ON CONFLICT (id) DO NOTHING;

-- The 32 original commitments (JNAP 1–32). 1–24 complete before the refresh; 25–32 carried over; 32 is the pilot.
INSERT INTO programme_commitments (id, plan_id, reference, title, is_placeholder, owner, theme_id, start_date, due_date, status, transferred_to, latest_update, outcome, updated_at)
SELECT 'jnap-' || lpad(n::text, 2, '0'), 'jnap', 'JNAP ' || n,
       CASE WHEN n = 32 THEN 'Psychological injury evaluation pilot' ELSE '[Placeholder] Original commitment ' || n END,
       n <> 32,
       CASE WHEN n = 32 THEN 'joint' ELSE (ARRAY['police', 'cps', 'joint'])[1 + n % 3] END,
       (ARRAY['jnap-victims', 'jnap-investigation', 'jnap-workforce', 'jnap-data'])[1 + n % 4],
       DATE '2021-01-01', DATE '2022-10-01',
       CASE WHEN n = 32 THEN 'in_progress' ELSE 'complete' END,
       NULL,
       CASE WHEN n = 32 THEN '80 reports received. The evaluation is due once the pilot cases are finalised at court.' ELSE '' END,
       CASE WHEN n = 32 THEN '' ELSE '[Placeholder] Delivered.' END,
       TIMESTAMPTZ '2024-12-01 00:00:00+00'
  FROM generate_series(1, 32) AS n
ON CONFLICT (id) DO NOTHING;

-- The 12 actions added at the refresh (JNAP R1–R12). R11 and R12 were expanded in scope and moved to other governance.
INSERT INTO programme_commitments (id, plan_id, reference, title, is_placeholder, owner, theme_id, start_date, due_date, status, transferred_to, latest_update, outcome, updated_at)
SELECT 'jnap-r' || lpad(n::text, 2, '0'), 'jnap', 'JNAP R' || n,
       CASE n WHEN 11 THEN 'Enhanced service offer for victims' WHEN 12 THEN 'Academic research on rape in domestic abuse'
              ELSE '[Placeholder] Action added at the October 2022 refresh ' || n END,
       n < 11,
       CASE n WHEN 11 THEN 'cps' WHEN 12 THEN 'joint' ELSE (ARRAY['police', 'cps', 'joint'])[1 + n % 3] END,
       (ARRAY['jnap-victims', 'jnap-investigation', 'jnap-workforce', 'jnap-data'])[1 + n % 4],
       DATE '2022-10-01', DATE '2024-03-31',
       CASE WHEN n >= 11 THEN 'transferred' ELSE 'complete' END,
       CASE n WHEN 11 THEN 'CPS Victim Transformation Programme' WHEN 12 THEN '[Placeholder] Research governance outside the JNAP' END,
       '',
       CASE WHEN n >= 11 THEN 'Expanded in scope and moved to other governance.' ELSE '[Placeholder] Delivered.' END,
       TIMESTAMPTZ '2024-12-01 00:00:00+00'
  FROM generate_series(1, 12) AS n
ON CONFLICT (id) DO NOTHING;

-- Status history. Originals start in progress in January 2021.
INSERT INTO programme_status_events (id, commitment_id, seq, status, effective_on, note, recorded_at)
SELECT gen_random_uuid(), 'jnap-' || lpad(n::text, 2, '0'), 1, 'in_progress', DATE '2021-01-01', 'Plan published', TIMESTAMPTZ '2021-01-01 00:00:00+00'
  FROM generate_series(1, 32) AS n
ON CONFLICT (commitment_id, seq) DO NOTHING;
-- 1–24 complete before the refresh; 25–31 complete after it (placeholder days).
INSERT INTO programme_status_events (id, commitment_id, seq, status, effective_on, note, recorded_at)
SELECT gen_random_uuid(), 'jnap-' || lpad(n::text, 2, '0'), 2, 'complete',
       CASE WHEN n <= 24 THEN DATE '2021-01-01' + n * 20 ELSE DATE '2022-10-01' + (n - 24) * 60 END,
       '[Placeholder] Completion date', TIMESTAMPTZ '2024-12-01 00:00:00+00'
  FROM generate_series(1, 31) AS n
ON CONFLICT (commitment_id, seq) DO NOTHING;
-- Added actions start at the refresh; R1–R10 complete; R11–R12 complete, are expanded in scope, then transferred.
INSERT INTO programme_status_events (id, commitment_id, seq, status, effective_on, note, recorded_at)
SELECT gen_random_uuid(), 'jnap-r' || lpad(n::text, 2, '0'), 1, 'in_progress', DATE '2022-10-01', 'Added at the October 2022 refresh', TIMESTAMPTZ '2022-10-01 00:00:00+00'
  FROM generate_series(1, 12) AS n
ON CONFLICT (commitment_id, seq) DO NOTHING;
INSERT INTO programme_status_events (id, commitment_id, seq, status, effective_on, note, recorded_at)
SELECT gen_random_uuid(), 'jnap-r' || lpad(n::text, 2, '0'), 2, 'complete',
       CASE WHEN n <= 10 THEN DATE '2022-10-01' + n * 50 ELSE DATE '2024-03-01' END,
       '[Placeholder] Completion date', TIMESTAMPTZ '2024-12-01 00:00:00+00'
  FROM generate_series(1, 12) AS n
ON CONFLICT (commitment_id, seq) DO NOTHING;
INSERT INTO programme_status_events (id, commitment_id, seq, status, effective_on, transferred_to, note, recorded_at)
SELECT gen_random_uuid(), c.id, s.seq, s.status, s.effective_on,
       CASE WHEN s.status = 'transferred' THEN c.transferred_to END, s.note, TIMESTAMPTZ '2024-12-01 00:00:00+00'
  FROM programme_commitments c
 CROSS JOIN (VALUES (3, 'expanded_in_scope', DATE '2024-04-01', 'Expanded in scope'),
                    (4, 'transferred', DATE '2024-05-01', 'Moved to other governance')) AS s(seq, status, effective_on, note)
 WHERE c.id IN ('jnap-r11', 'jnap-r12')
ON CONFLICT (commitment_id, seq) DO NOTHING;

INSERT INTO programme_refresh_items (refresh_id, commitment_id, disposition)
SELECT 'jnap-2022-10', 'jnap-' || lpad(n::text, 2, '0'), CASE WHEN n <= 24 THEN 'closed' ELSE 'carried_over' END FROM generate_series(1, 32) AS n
UNION ALL
SELECT 'jnap-2022-10', 'jnap-r' || lpad(n::text, 2, '0'), 'added' FROM generate_series(1, 12) AS n
ON CONFLICT (refresh_id, commitment_id) DO NOTHING;
