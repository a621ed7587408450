import { endOfLondonDay, londonDate, type WorkingDayCalendar } from '../platform/calendar.ts';

/** London wall-clock times for meetings and reminders (stored as UTC instants). */

const londonTimeFmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const londonLongDate = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric' });

export function londonTime(instant: Date): string {
  return londonTimeFmt.format(instant);
}

/**
 * The instant of a London date and time ('YYYY-MM-DD', 'HH:MM'). In the hour the clocks go forward the wall time does
 * not exist and GMT is used; in the hour they go back, the first (BST) occurrence is taken.
 */
export function londonInstant(date: string, time: string): Date {
  for (const offsetHours of [1, 0]) {
    const candidate = new Date(`${date}T${time}:00Z`);
    candidate.setUTCHours(candidate.getUTCHours() - offsetHours);
    if (londonDate(candidate) === date && londonTime(candidate) === time) return candidate;
  }
  return new Date(`${date}T${time}:00Z`);
}

/** A London date ('YYYY-MM-DD') for people: "14 March 2026". */
export function longDate(iso: string): string {
  return londonLongDate.format(new Date(`${iso}T12:00:00Z`));
}

function addDays(iso: string, n: number): string {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Whole calendar days from London date a to London date b. */
export function daysBetween(a: string, b: string): number {
  return Math.round((new Date(`${b}T12:00:00Z`).getTime() - new Date(`${a}T12:00:00Z`).getTime()) / 86_400_000);
}

/** The London date n working days before a London date (n = 0: the date itself). */
export function workingDaysBefore(calendar: WorkingDayCalendar, iso: string, n: number): string {
  let date = iso;
  let left = n;
  while (left > 0) {
    date = addDays(date, -1);
    if (calendar.isWorkingDay(date)) left--;
  }
  return date;
}

/** The first instant after a London date: when something due that day becomes overdue. */
export function startOfDayAfter(iso: string): Date {
  return new Date(endOfLondonDay(iso).getTime() + 1);
}
