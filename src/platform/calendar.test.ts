import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { testDb } from '../testing/harness.ts';
import { endOfLondonDay, londonDate, WorkingDayCalendar } from './calendar.ts';

describe('working days in England and Wales', () => {
  let db: Db;
  let cal: WorkingDayCalendar;
  beforeAll(async () => {
    db = await testDb();
    cal = await WorkingDayCalendar.load(db);
  });
  afterAll(async () => db?.close());

  it('skips the weekend: an arrest on Friday evening must be told by the end of Monday', () => {
    expect(cal.addWorkingDays(new Date('2025-03-07T19:00:00Z'), 1)).toBe('2025-03-10');
    expect(cal.addWorkingDays(new Date('2025-03-07T19:00:00Z'), 5)).toBe('2025-03-14');
  });

  it('skips bank holidays: Easter 2025 and Christmas 2026 (Boxing Day substitute)', () => {
    // Thursday 17 April 2025 → Good Friday, weekend, Easter Monday → Tuesday 22nd
    expect(cal.addWorkingDays(new Date('2025-04-17T10:00:00Z'), 1)).toBe('2025-04-22');
    // Thursday 24 Dec 2026 → 25th (holiday), weekend, Monday 28th (substitute) → Tuesday 29th
    expect(cal.addWorkingDays(new Date('2026-12-24T10:00:00Z'), 1)).toBe('2026-12-29');
  });

  it('uses the London date, not UTC: 23:30 BST on a Friday is still Friday', () => {
    const fridayLateBst = new Date('2025-06-13T22:30:00Z'); // 23:30 in London
    expect(londonDate(fridayLateBst)).toBe('2025-06-13');
    expect(cal.addWorkingDays(fridayLateBst, 1)).toBe('2025-06-16');
    const saturdayEarlyBst = new Date('2025-06-13T23:30:00Z'); // 00:30 Saturday in London
    expect(cal.addWorkingDays(saturdayEarlyBst, 1)).toBe('2025-06-16');
  });

  it('puts the deadline at the end of the London day in GMT and in BST', () => {
    expect(endOfLondonDay('2025-01-15').toISOString()).toBe('2025-01-15T23:59:59.999Z');
    expect(endOfLondonDay('2025-07-15').toISOString()).toBe('2025-07-15T22:59:59.999Z');
    expect(cal.deadline(new Date('2025-07-11T09:00:00Z'), 1).toISOString()).toBe('2025-07-14T22:59:59.999Z');
  });

  it('counts working days between two instants', () => {
    expect(cal.workingDaysBetween(new Date('2025-04-17T10:00:00Z'), new Date('2025-04-22T10:00:00Z'))).toBe(1);
    expect(cal.workingDaysBetween(new Date('2025-04-22T10:00:00Z'), new Date('2025-04-17T10:00:00Z'))).toBe(-1);
  });

  it('refuses to guess beyond the bank holidays it knows', () => {
    expect(() => cal.addWorkingDays(new Date('2028-12-29T10:00:00Z'), 3)).toThrow(/not known after 2028-12-31/);
  });
});
