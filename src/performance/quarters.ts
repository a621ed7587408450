/** Calendar quarters as the CPS publishes them: '2024Q2' is April–June 2024 (London dates). */
export type Quarter = `${number}Q${1 | 2 | 3 | 4}`;

const QUARTER_RE = /^(\d{4})Q([1-4])$/;
const MONTHS = [['Jan', 'Mar'], ['Apr', 'Jun'], ['Jul', 'Sep'], ['Oct', 'Dec']] as const;

export function isQuarter(v: unknown): v is Quarter {
  return typeof v === 'string' && QUARTER_RE.test(v);
}

export function parseQuarter(q: string): { year: number; q: number } {
  const m = QUARTER_RE.exec(q);
  if (!m) throw new Error(`not a quarter: ${q}`);
  return { year: Number(m[1]), q: Number(m[2]) };
}

/** "Jan–Mar 2021", the way the JNAP report and CPS data summaries name a quarter. */
export function quarterLabel(q: string): string {
  const { year, q: n } = parseQuarter(q);
  const [from, to] = MONTHS[n - 1]!;
  return `${from}–${to} ${year}`;
}

export function nextQuarter(q: string): Quarter {
  const { year, q: n } = parseQuarter(q);
  return (n === 4 ? `${year + 1}Q1` : `${year}Q${n + 1}`) as Quarter;
}

/** Every quarter from `from` to `to` inclusive, in order. */
export function quarterRange(from: string, to: string): Quarter[] {
  const out: Quarter[] = [];
  for (let q = from as Quarter; q <= to && out.length < 400; q = nextQuarter(q)) out.push(q);
  return out;
}

/** The quarter a London calendar date falls in. */
export function quarterOfDate(isoDate: string): Quarter {
  const [y, m] = isoDate.split('-').map(Number) as [number, number];
  return `${y}Q${Math.floor((m - 1) / 3) + 1}` as Quarter;
}

/** The last quarter that has ended by `now` (published figures are for complete quarters). */
export function lastCompleteQuarter(now: Date): Quarter {
  const london = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  const current = quarterOfDate(london);
  const { year, q } = parseQuarter(current);
  return (q === 1 ? `${year - 1}Q4` : `${year}Q${q - 1}`) as Quarter;
}

/**
 * Change against a baseline, as a whole percentage: 504 against 200 is +152. Null when there is no baseline to
 * compare with (zero or missing), never a division by zero.
 */
export function percentChange(value: number | null, baseline: number | null): number | null {
  if (value === null || baseline === null || baseline === 0) return null;
  return Math.round(((value - baseline) / baseline) * 100);
}

/** "+152% since Jan–Mar 2021" / "−12% since …" / "no baseline". */
export function changeText(change: number | null, baselineQuarter: string): string {
  if (change === null) return `no figure for ${quarterLabel(baselineQuarter)} to compare with`;
  const sign = change > 0 ? '+' : change < 0 ? '−' : '';
  return `${sign}${Math.abs(change)}% since ${quarterLabel(baselineQuarter)}`;
}
