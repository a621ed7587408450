import type { Queryable } from '../db/database.ts';
import type { WorkingDayCalendar } from '../platform/calendar.ts';
import type { Clock } from '../platform/clock.ts';
import { enqueue, type JobHandler, notify } from '../platform/jobs.ts';
import { londonInstant, longDate, startOfDayAfter, workingDaysBefore } from './time.ts';

/**
 * Reminders for Early Advice. Jobs are enqueued in the transaction that sets the deadline; handlers look at the
 * record when they run (a reminder for advice already given, or a line of enquiry already done, sends nothing) and
 * write notifications with a dedupe key, so a reminder reaches each person once however often its job runs.
 * Messages carry the case reference only, never anything that could identify the victim.
 */
export const TARGET_REMINDER = 'early-advice:target-reminder';
export const LOE_REMINDER = 'early-advice:loe-reminder';

type When = 'due-soon' | 'overdue';

/** The EA response target: a reminder at 09:00 two working days before the target, and one when it is missed. */
export async function scheduleTargetReminders(tx: Queryable, clock: Clock, calendar: WorkingDayCalendar, request: { id: string; targetDate: string }): Promise<void> {
  const now = clock.now();
  const dueSoon = londonInstant(workingDaysBefore(calendar, request.targetDate, 2), '09:00');
  await enqueue(tx, clock, TARGET_REMINDER, { requestId: request.id, when: 'due-soon' }, { runAt: dueSoon > now ? dueSoon : now, dedupeKey: `ea-target:${request.id}:due-soon` });
  await enqueue(tx, clock, TARGET_REMINDER, { requestId: request.id, when: 'overdue' }, { runAt: startOfDayAfter(request.targetDate), dedupeKey: `ea-target:${request.id}:overdue` });
}

/** A line of enquiry: a reminder to its owner at 09:00 on the working day before it is due, and one when it is overdue. */
export async function scheduleLoeReminders(tx: Queryable, clock: Clock, calendar: WorkingDayCalendar, loe: { id: string; dueDate: string }): Promise<void> {
  const now = clock.now();
  const dueSoon = londonInstant(workingDaysBefore(calendar, loe.dueDate, 1), '09:00');
  await enqueue(tx, clock, LOE_REMINDER, { loeId: loe.id, when: 'due-soon' }, { runAt: dueSoon > now ? dueSoon : now, dedupeKey: `loe-due:${loe.id}:due-soon` });
  await enqueue(tx, clock, LOE_REMINDER, { loeId: loe.id, when: 'overdue' }, { runAt: startOfDayAfter(loe.dueDate), dedupeKey: `loe-due:${loe.id}:overdue` });
}

/** Who hears about an unallocated request: the unit's allocators (District Crown Prosecutors and paralegals). */
export async function unitAllocators(q: Queryable, areaId: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `SELECT DISTINCT u.id FROM users u JOIN organisations o ON o.id = u.organisation_id JOIN user_roles r ON r.user_id = u.id
      WHERE u.active AND o.kind = 'rasso_unit' AND o.cps_area_id = $1 AND r.role IN ('district_crown_prosecutor', 'paralegal') ORDER BY u.id`,
    [areaId],
  );
  return rows.map((r) => r.id);
}

/** Handlers to register in services.jobHandlers. */
export function earlyAdviceJobHandlers(clock: Clock): Record<string, JobHandler> {
  return {
    [TARGET_REMINDER]: async (job, tx) => {
      const { requestId, when } = job.payload as { requestId: string; when: When };
      const [r] = await tx.query<{ case_id: string; case_reference: string; cps_area_id: string; status: string; target_date: string; allocated_to: string | null }>(
        'SELECT case_id, case_reference, cps_area_id, status, target_date, allocated_to FROM ea_requests WHERE id = $1',
        [requestId],
      );
      if (!r || r.status === 'advice_given') return;
      const recipients = r.allocated_to ? [r.allocated_to] : await unitAllocators(tx, r.cps_area_id);
      const due = longDate(r.target_date);
      const message = when === 'overdue'
        ? `Early Advice on case ${r.case_reference} is overdue: it was due by ${due}.`
        : `Early Advice on case ${r.case_reference} is due by ${due}.`;
      for (const userId of recipients) {
        await notify(tx, clock, { userId, caseId: r.case_id, kind: 'ea-target', message, link: `/cases/${r.case_id}/early-advice`, dedupeKey: `ea-target:${requestId}:${when}:${userId}` });
      }
    },
    [LOE_REMINDER]: async (job, tx) => {
      const { loeId, when } = job.payload as { loeId: string; when: When };
      const [l] = await tx.query<{ case_id: string; case_reference: string; number: number; owner_user_id: string; due_date: string; status: string; advice_status: string }>(
        `SELECT l.case_id, r.case_reference, l.number, l.owner_user_id, l.due_date, l.status, a.status AS advice_status
           FROM ea_lines_of_enquiry l JOIN ea_advice a ON a.id = l.advice_id JOIN ea_requests r ON r.id = a.request_id WHERE l.id = $1`,
        [loeId],
      );
      if (!l || l.advice_status !== 'issued' || l.status === 'done' || l.status === 'not_pursued') return;
      const due = longDate(l.due_date);
      const message = when === 'overdue'
        ? `Line of enquiry ${l.number} on case ${l.case_reference} is overdue: it was due on ${due}.`
        : `Line of enquiry ${l.number} on case ${l.case_reference} is due on ${due}.`;
      await notify(tx, clock, { userId: l.owner_user_id, caseId: l.case_id, kind: 'loe-due', message, link: `/cases/${l.case_id}/early-advice#lines-of-enquiry`, dedupeKey: `loe-due:${loeId}:${when}:${l.owner_user_id}` });
    },
  };
}
