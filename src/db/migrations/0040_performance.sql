-- Performance data (issue 7): summary tables the dashboards and the quarterly publication read, so no request scans
-- the case records. They are derived data, rebuilt per force by the "performance.refresh" job (see
-- docs/adr on performance aggregates) from case_events, cases, victims, victim_duties and pre_trial_meetings.

-- Additive counters by quarter (London calendar, e.g. '2024Q2') × force × CPS Area × offence group. The measures
-- (src/performance/measures.ts) are computed from these: rates as ratios of sums, means as sum(total) ÷ sum(n).
CREATE TABLE perf_counts (
  quarter text NOT NULL CHECK (quarter ~ '^[0-9]{4}Q[1-4]$'),
  force_id text NOT NULL,
  cps_area_id text NOT NULL,
  offence_group text NOT NULL CHECK (offence_group IN ('all_rasso', 'adult_rape')),
  counter text NOT NULL,
  n bigint NOT NULL,
  total numeric NOT NULL DEFAULT 0,
  PRIMARY KEY (quarter, offence_group, counter, force_id, cps_area_id)
);
CREATE INDEX perf_counts_force ON perf_counts (force_id, quarter);
CREATE INDEX perf_counts_area ON perf_counts (cps_area_id, quarter);

-- Distributions kept as day histograms so medians stay exact when cells are summed (a median is not additive).
CREATE TABLE perf_days (
  quarter text NOT NULL,
  force_id text NOT NULL,
  cps_area_id text NOT NULL,
  offence_group text NOT NULL CHECK (offence_group IN ('all_rasso', 'adult_rape')),
  counter text NOT NULL,
  days integer NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (quarter, offence_group, counter, force_id, cps_area_id, days)
);
CREATE INDEX perf_days_force ON perf_days (force_id);

-- Records that would distort the figures (missing dates, impossible sequences), for the owning force or Area to fix.
CREATE TABLE perf_data_quality (
  case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  force_id text NOT NULL,
  cps_area_id text NOT NULL,
  reference text NOT NULL,
  problem text NOT NULL,
  detected_at timestamptz NOT NULL,
  PRIMARY KEY (case_id, problem)
);
CREATE INDEX perf_data_quality_force ON perf_data_quality (force_id, problem);
CREATE INDEX perf_data_quality_area ON perf_data_quality (cps_area_id, problem);

-- One row: what the last refresh covered. Cases changed after the watermark (cases.updated_at moves on every event)
-- make their force's cells stale; the next refresh rebuilds only those forces.
CREATE TABLE perf_refresh_state (
  id integer PRIMARY KEY CHECK (id = 1),
  watermark timestamptz,
  last_run_at timestamptz,
  last_full_at timestamptz,
  last_duration_ms integer,
  forces_refreshed integer NOT NULL DEFAULT 0
);
INSERT INTO perf_refresh_state (id) VALUES (1);
CREATE INDEX cases_updated_at ON cases (updated_at);

-- The public quarterly publication. A released version is immutable (trigger below); a revision is a new version with
-- a change note. tables holds the disclosure-controlled tables exactly as published.
CREATE TABLE perf_publications (
  id uuid PRIMARY KEY,
  quarter text NOT NULL CHECK (quarter ~ '^[0-9]{4}Q[1-4]$'),
  version integer NOT NULL CHECK (version >= 1),
  commentary text NOT NULL DEFAULT '',
  change_note text NOT NULL DEFAULT '',
  tables jsonb NOT NULL,
  released_at timestamptz NOT NULL,
  released_by text NOT NULL,
  UNIQUE (quarter, version),
  CHECK (version = 1 OR length(btrim(change_note)) > 0)
);

CREATE FUNCTION perf_publications_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a released publication cannot be changed: publish a new version with a change note';
END;
$$;
CREATE TRIGGER perf_publications_no_update BEFORE UPDATE OR DELETE ON perf_publications
  FOR EACH ROW EXECUTE FUNCTION perf_publications_immutable();
