import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { WorkingDayCalendar } from '../platform/calendar.ts';
import { testDb } from '../testing/harness.ts';
import { addMonths, londonMorning, policeReviewDue, timeliness, vrrWindow } from './windows.ts';

/** Victims' Right to Review windows over weekends, bank holidays and clock changes, with the bank holidays from the database. */
describe('Victims’ Right to Review windows', () => {
  let db: Db;
  let calendar: WorkingDayCalendar;
  beforeAll(async () => {
    db = await testDb();
    calendar = await WorkingDayCalendar.load(db);
  });
  afterAll(async () => db?.close());

  it('CPS scheme: 10 working days over Christmas and New Year, up to 3 months', () => {
    // Friday 19 December 2025: Christmas Day, Boxing Day and New Year's Day and two weekends fall in the window.
    const w = vrrWindow(calendar, 'cps', new Date('2025-12-19T16:00:00Z'));
    expect(w).toEqual({ openedOn: '2025-12-19', normalDeadline: '2026-01-07', latestDeadline: '2026-03-19' });
    expect(timeliness(w, '2026-01-07')).toBe('in_time');
    expect(timeliness(w, '2026-01-08')).toBe('late');
    expect(timeliness(w, '2026-03-19')).toBe('late');
    expect(timeliness(w, '2026-03-20')).toBe('out_of_time');
  });

  it('CPS scheme: a decision late on Friday evening UTC is a Saturday in London during summer time', () => {
    const w = vrrWindow(calendar, 'cps', new Date('2025-10-24T23:30:00Z')); // 00:30 BST on Saturday 25 October
    expect(w.openedOn).toBe('2025-10-25');
    expect(w.normalDeadline).toBe('2025-11-07');
  });

  it('CPS scheme: over Easter (Good Friday and Easter Monday)', () => {
    const w = vrrWindow(calendar, 'cps', new Date('2026-04-01T10:00:00Z')); // Wednesday 1 April 2026
    expect(w.normalDeadline).toBe('2026-04-17'); // 2, 7, 8, 9, 10, 13, 14, 15, 16, 17 April
  });

  it('police scheme: 3 calendar months, clamped to the month’s last day', () => {
    expect(vrrWindow(calendar, 'police', new Date('2025-12-19T16:00:00Z'))).toEqual({ openedOn: '2025-12-19', normalDeadline: '2026-03-19', latestDeadline: '2026-03-19' });
    expect(addMonths('2025-11-30', 3)).toBe('2026-02-28');
    expect(addMonths('2027-11-30', 3)).toBe('2028-02-29');
    expect(timeliness(vrrWindow(calendar, 'police', new Date('2025-11-30T12:00:00Z')), '2026-03-01')).toBe('out_of_time');
  });

  it('police scheme: acknowledge within 10 and complete within 30 working days, over Easter and the May bank holiday', () => {
    // Thursday 2 April 2026: Good Friday 3 April, Easter Monday 6 April and 4 May are bank holidays.
    expect(policeReviewDue(calendar, '2026-04-02')).toEqual({ acknowledgeDue: '2026-04-20', completeDue: '2026-05-19' });
    // Saturday request: the count starts on Monday
    expect(policeReviewDue(calendar, '2026-01-10').acknowledgeDue).toBe('2026-01-23');
  });

  it('sends reminders at 08:00 London time, in winter and in summer', () => {
    expect(londonMorning('2026-01-07').toISOString()).toBe('2026-01-07T08:00:00.000Z');
    expect(londonMorning('2026-07-07').toISOString()).toBe('2026-07-07T07:00:00.000Z');
  });
});
