import type { Queryable } from '../db/database.ts';

/**
 * Working days in England and Wales: Monday–Friday less bank holidays, reckoned in Europe/London. Deadlines are
 * "by the end of the n-th working day after the event" (the Victims' Code's "within 1 working day"): an event on a
 * Friday evening is due by the end of Monday; before a bank holiday Monday, by the end of Tuesday.
 */
export class WorkingDayCalendar {
  constructor(
    private readonly holidays: ReadonlySet<string>,
    /** Last date the holiday list covers: later deadlines are refused, not guessed. */
    private readonly coveredUntil: string,
  ) {}

  static async load(db: Queryable): Promise<WorkingDayCalendar> {
    const rows = await db.query<{ holiday_date: string }>(`SELECT holiday_date FROM bank_holidays WHERE region = 'england-and-wales' ORDER BY holiday_date`);
    const dates = rows.map((r) => r.holiday_date);
    const lastYear = dates.length ? dates[dates.length - 1]!.slice(0, 4) : '1970';
    return new WorkingDayCalendar(new Set(dates), `${lastYear}-12-31`);
  }

  isWorkingDay(londonDate: string): boolean {
    const dow = new Date(`${londonDate}T12:00:00Z`).getUTCDay();
    return dow !== 0 && dow !== 6 && !this.holidays.has(londonDate);
  }

  /** The London calendar date of n working days after the London date of `from`. */
  addWorkingDays(from: Date, n: number): string {
    let date = londonDate(from);
    let left = n;
    while (left > 0) {
      date = nextDate(date);
      if (date > this.coveredUntil) throw new Error(`bank holidays are not known after ${this.coveredUntil}: add the next year's dates`);
      if (this.isWorkingDay(date)) left--;
    }
    return date;
  }

  /** The instant a duty of n working days falls due: the end of that London day. */
  deadline(from: Date, workingDays: number): Date {
    return endOfLondonDay(this.addWorkingDays(from, workingDays));
  }

  /** Working days from a to b (London dates), counting b but not a; negative if b is before a. */
  workingDaysBetween(a: Date, b: Date): number {
    const from = londonDate(a);
    const to = londonDate(b);
    const sign = to >= from ? 1 : -1;
    let [day, last] = sign === 1 ? [from, to] : [to, from];
    let count = 0;
    while (day < last) {
      day = nextDate(day);
      if (this.isWorkingDay(day)) count++;
    }
    return sign * count;
  }
}

const londonFmt = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

export function londonDate(instant: Date): string {
  return londonFmt.format(instant);
}

function nextDate(iso: string): string {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** 23:59:59.999 on a London date, as a UTC instant (GMT or BST as applies that day). */
export function endOfLondonDay(iso: string): Date {
  const next = nextDate(iso);
  // Midnight starting the next London day: try both offsets and keep the one that is midnight in London.
  for (const offset of [0, 1]) {
    const candidate = new Date(`${next}T00:00:00Z`);
    candidate.setUTCHours(candidate.getUTCHours() - offset);
    if (londonDate(candidate) === next && londonDate(new Date(candidate.getTime() - 1)) === iso) return new Date(candidate.getTime() - 1);
  }
  throw new Error(`cannot find the end of ${iso} in Europe/London`);
}
