-- The outbox viewer lists a force's letters newest first (a CPS Area's go through cases, already indexed by Area).
CREATE INDEX victim_letters_force ON victim_letters (force_id, created_at DESC);
