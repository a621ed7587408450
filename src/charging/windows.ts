import { endOfLondonDay, londonDate, type WorkingDayCalendar } from '../platform/calendar.ts';

/**
 * Victims' Right to Review timescales (DOMAIN.md). Windows run from the London date of the decision:
 * - police scheme: a request within 3 calendar months; the police acknowledge within 10 working days of the request
 *   and complete the review within 30 working days;
 * - CPS scheme: a request normally within 10 working days, up to 3 months; later only exceptionally.
 * Working days exclude weekends and England and Wales bank holidays (WorkingDayCalendar).
 */
export const VRR_RULES = {
  police: { windowMonths: 3, acknowledgeWorkingDays: 10, completeWorkingDays: 30 },
  cps: { normalWorkingDays: 10, latestMonths: 3 },
} as const;

export interface VrrWindowDates { openedOn: string; normalDeadline: string; latestDeadline: string }

/** The same day n calendar months later; a day the month lacks becomes its last day (30 November + 3 months = 28 or 29 February). */
export function addMonths(iso: string, months: number): string {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  return target.toISOString().slice(0, 10);
}

export function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Noon UTC on a London date: a safe instant to hand to the calendar, whose London date is that date. */
export function atNoon(iso: string): Date {
  return new Date(`${iso}T12:00:00Z`);
}

/** 08:00 in London on a date: when reminders due that day are sent. */
export function londonMorning(iso: string, hour = 8): Date {
  const midnight = new Date(endOfLondonDay(addDays(iso, -1)).getTime() + 1);
  return new Date(midnight.getTime() + hour * 3_600_000);
}

export function vrrWindow(calendar: WorkingDayCalendar, scheme: 'police' | 'cps', decidedAt: Date): VrrWindowDates {
  const openedOn = londonDate(decidedAt);
  if (scheme === 'police') {
    const end = addMonths(openedOn, VRR_RULES.police.windowMonths);
    return { openedOn, normalDeadline: end, latestDeadline: end };
  }
  return {
    openedOn,
    normalDeadline: calendar.addWorkingDays(decidedAt, VRR_RULES.cps.normalWorkingDays),
    latestDeadline: addMonths(openedOn, VRR_RULES.cps.latestMonths),
  };
}

/** Whether a request made on `requestedOn` is in time for the window. */
export function timeliness(window: VrrWindowDates, requestedOn: string): 'in_time' | 'late' | 'out_of_time' {
  if (requestedOn <= window.normalDeadline) return 'in_time';
  if (requestedOn <= window.latestDeadline) return 'late';
  return 'out_of_time';
}

/** Police scheme: the dates by which a request received on `requestedOn` must be acknowledged and completed. */
export function policeReviewDue(calendar: WorkingDayCalendar, requestedOn: string): { acknowledgeDue: string; completeDue: string } {
  return {
    acknowledgeDue: calendar.addWorkingDays(atNoon(requestedOn), VRR_RULES.police.acknowledgeWorkingDays),
    completeDue: calendar.addWorkingDays(atNoon(requestedOn), VRR_RULES.police.completeWorkingDays),
  };
}
