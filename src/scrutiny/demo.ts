import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { CaseService } from '../cases/service.ts';
import { AuditLog } from '../platform/audit.ts';
import { systemClock } from '../platform/clock.ts';
import type { FieldCipher } from '../platform/crypto.ts';
import { ReferenceService } from '../reference/service.ts';
import { buildPack } from './packs.ts';
import { ScrutinyRepository } from './repository.ts';
import { type SamplingRule, selectCases } from './selection.ts';

/**
 * Demo only: the Hampshire and Isle of Wight / CPS Wessex panel with the demo supervisor, DCP and community member,
 * a selection from the synthetic NFA decisions of the last year of data (fixed seed), their redacted packs, and the
 * first pack released, so the "panel" demo user has something to review. Skipped when the panel already exists.
 */
export async function seedScrutinyDemo(db: Db, cipher: FieldCipher, users: Record<string, string>): Promise<{ panelId: string; packs: number } | null> {
  const [supervisor, dcp, member] = [users.supervisor, users.dcp, users.panel];
  if (!supervisor || !dcp || !member) return null;
  const exists = await db.query('SELECT 1 FROM scrutiny_panels WHERE force_id = $1 AND cps_area_id = $2', ['hampshire-and-isle-of-wight', 'wessex']);
  if (exists.length) return null;
  const clock = systemClock;
  const audit = new AuditLog(db, clock);
  const reference = new ReferenceService(db, audit);
  const cases = new CaseService(db, cipher, audit, clock, reference);
  const [last] = await db.query<{ at: Date | null }>(
    `SELECT max(e.occurred_at) AS at FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.kind = 'nfa' AND c.force_id = 'hampshire-and-isle-of-wight' AND c.cps_area_id = 'wessex'`);
  const to = last?.at ? new Date(last.at) : clock.now();
  const from = new Date(to.getTime() - 365 * 86_400_000);
  const rule: SamplingRule = {
    algorithm: 'mulberry32-fisher-yates-v1', seed: 2026, periodFrom: from.toISOString().slice(0, 10), periodTo: to.toISOString().slice(0, 10), randomSize: 3, longDays: 365,
    themes: { vulnerable: 0, no_ea: 1, outcome_16: 1, long_investigation: 0 },
  };
  const repo = new ScrutinyRepository(db);
  const candidates = await repo.candidates('hampshire-and-isle-of-wight', 'wessex', rule.periodFrom, rule.periodTo);
  const selected = selectCases(candidates, rule);
  const byId = new Map(candidates.map((c) => [c.caseId, c]));
  const panelId = randomUUID();
  const selectionId = randomUUID();
  const now = clock.now();
  // Reference data is read (and cached) before the transaction: on PGlite a query outside an open transaction waits for it.
  await Promise.all([reference.offences(), reference.outcomeTypes()]);
  await db.transaction(async (tx) => {
    await tx.query('INSERT INTO scrutiny_panels (id, name, force_id, cps_area_id, organisation_id, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)',
      [panelId, 'Hampshire and Isle of Wight and CPS Wessex joint rape scrutiny panel', 'hampshire-and-isle-of-wight', 'wessex', 'panel-hampshire', supervisor, now]);
    for (const [userId, side] of [[supervisor, 'police'], [dcp, 'cps'], [member, 'external']] as const) {
      await tx.query('INSERT INTO scrutiny_panel_members (panel_id, user_id, side, added_by, added_at) VALUES ($1,$2,$3,$4,$5)', [panelId, userId, side, supervisor, now]);
    }
    await tx.query('INSERT INTO scrutiny_selections (id, panel_id, period_from, period_to, rule, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)', [selectionId, panelId, rule.periodFrom, rule.periodTo, JSON.stringify(rule), supervisor, now]);
    for (const [i, s] of selected.entries()) {
      const c = byId.get(s.caseId)!;
      await tx.query('INSERT INTO scrutiny_selected_cases (selection_id, case_id, force_id, position, reasons, nfa_by, nfa_at, outcome_type_code) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)',
        [selectionId, s.caseId, 'hampshire-and-isle-of-wight', i + 1, JSON.stringify(s.reasons), c.nfaBy, c.nfaAt, c.outcomeTypeCode]);
      const { content, redactions } = await buildPack(tx, { cases, reference }, s.caseId, { by: c.nfaBy, at: c.nfaAt, outcomeTypeCode: c.outcomeTypeCode, hadEarlyAdvice: c.hadEarlyAdvice });
      const released = i === 0;
      await tx.query(
        `INSERT INTO scrutiny_packs (id, panel_id, selection_id, case_id, force_id, number, content, redactions, status, generated_by, generated_at, released_by, released_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
        [randomUUID(), panelId, selectionId, s.caseId, 'hampshire-and-isle-of-wight', i + 1, JSON.stringify(content), redactions, released ? 'released' : 'awaiting_release', supervisor, now, released ? supervisor : null, released ? now : null]);
    }
  });
  return { panelId, packs: selected.length };
}
