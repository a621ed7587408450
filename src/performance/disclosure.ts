/**
 * Statistical disclosure control for published tables of counts.
 *
 * Primary suppression: every cell (inner or total) below THRESHOLD is withheld. Secondary suppression: further cells
 * are withheld until no withheld cell can be worked out from the published cells and totals by any linear
 * combination of the table's additivity rules (each row adds up to its row total, each column to its column total).
 *
 * The test for "can be worked out" is exact: write the additivity rules as equations A·x = 0 over all cells; with the
 * published cells moved to the right-hand side, a withheld cell k is determined exactly when the unit vector e_k lies in
 * the row space of A restricted to the withheld cells, i.e. when appending e_k does not raise that matrix's rank. Ranks
 * are computed by Gaussian elimination over exact rationals (BigInt), never floating point.
 */

export const THRESHOLD = 5;
/** The Government Statistical Service marker for a value withheld to protect confidentiality. */
export const SUPPRESSED_MARKER = '[c]';

export interface CountTable {
  rowLabels: string[];
  colLabels: string[];
  /** Inner cells, rows × columns, non-negative integers. */
  cells: number[][];
  /** Add a total column (each row's sum) and/or a total row (each column's sum, with the grand total). */
  rowTotals: boolean;
  colTotals: boolean;
}

export interface ProtectedTable {
  rowLabels: string[];
  colLabels: string[];
  /** The full grid including any total row and column: the value, or null where suppressed. */
  values: (number | null)[][];
  /** Same shape: why a cell is withheld. */
  reason: ('primary' | 'secondary' | null)[][];
}

/** The full grid with margins, as plain values. */
export function withTotals(t: CountTable): { rowLabels: string[]; colLabels: string[]; grid: number[][] } {
  const grid = t.cells.map((r) => (t.rowTotals ? [...r, r.reduce((a, b) => a + b, 0)] : [...r]));
  const width = t.colLabels.length + (t.rowTotals ? 1 : 0);
  if (t.colTotals) grid.push(Array.from({ length: width }, (_, j) => grid.reduce((a, r) => a + r[j]!, 0)));
  return {
    rowLabels: [...t.rowLabels, ...(t.colTotals ? ['Total'] : [])],
    colLabels: [...t.colLabels, ...(t.rowTotals ? ['Total'] : [])],
    grid,
  };
}

/** The additivity rules as rows of coefficients over the flattened grid (index i * width + j). */
export function constraints(t: Pick<CountTable, 'rowTotals' | 'colTotals'>, rows: number, cols: number): number[][] {
  const width = cols + (t.rowTotals ? 1 : 0);
  const height = rows + (t.colTotals ? 1 : 0);
  const out: number[][] = [];
  if (t.rowTotals) {
    for (let i = 0; i < height; i++) {
      const c = new Array<number>(width * height).fill(0);
      for (let j = 0; j < cols; j++) c[i * width + j] = 1;
      c[i * width + cols] = -1;
      out.push(c);
    }
  }
  if (t.colTotals) {
    for (let j = 0; j < width; j++) {
      const c = new Array<number>(width * height).fill(0);
      for (let i = 0; i < rows; i++) c[i * width + j] = 1;
      c[rows * width + j] = -1;
      out.push(c);
    }
  }
  return out;
}

// ---- exact rational rank ---------------------------------------------------------------------------------------------

type Frac = [bigint, bigint]; // numerator, positive denominator

const gcd = (a: bigint, b: bigint): bigint => {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
};
const norm = ([n, d]: Frac): Frac => {
  if (n === 0n) return [0n, 1n];
  const g = gcd(n, d);
  return d < 0n ? [-n / g, -d / g] : [n / g, d / g];
};
const sub = (a: Frac, b: Frac): Frac => norm([a[0] * b[1] - b[0] * a[1], a[1] * b[1]]);
const mul = (a: Frac, b: Frac): Frac => norm([a[0] * b[0], a[1] * b[1]]);
const div = (a: Frac, b: Frac): Frac => norm([a[0] * b[1], a[1] * b[0]]);

/** Rank of an integer matrix over the rationals, by exact Gaussian elimination. */
export function rationalRank(matrix: readonly (readonly number[])[]): number {
  const m: Frac[][] = matrix.map((r) => r.map((v) => [BigInt(v), 1n] as Frac));
  const cols = m[0]?.length ?? 0;
  let rank = 0;
  for (let c = 0; c < cols && rank < m.length; c++) {
    const pivot = m.findIndex((r, i) => i >= rank && r[c]![0] !== 0n);
    if (pivot < 0) continue;
    [m[rank], m[pivot]] = [m[pivot]!, m[rank]!];
    const p = m[rank]!;
    for (let i = 0; i < m.length; i++) {
      if (i === rank || m[i]![c]![0] === 0n) continue;
      const f = div(m[i]![c]!, p[c]!);
      m[i] = m[i]!.map((v, j) => sub(v, mul(f, p[j]!)));
    }
    rank++;
  }
  return rank;
}

/** The withheld cells (flat indices) that the published cells and the rules determine exactly. */
export function derivableCells(rules: readonly (readonly number[])[], suppressed: readonly number[]): number[] {
  if (suppressed.length === 0 || rules.length === 0) return [];
  const restricted = rules.map((r) => suppressed.map((k) => r[k]!)).filter((r) => r.some((v) => v !== 0));
  if (restricted.length === 0) return [];
  const base = rationalRank(restricted);
  return suppressed.filter((_, idx) => {
    const unit = suppressed.map((__, j) => (j === idx ? 1 : 0));
    return rationalRank([...restricted, unit]) === base;
  });
}

/** Applies primary and secondary suppression. */
export function protect(t: CountTable): ProtectedTable {
  const { rowLabels, colLabels, grid } = withTotals(t);
  const width = colLabels.length;
  const flat = grid.flat();
  const rules = constraints(t, t.rowLabels.length, t.colLabels.length);
  const reason: ('primary' | 'secondary' | null)[] = flat.map((v) => (v < THRESHOLD ? 'primary' : null));
  const isTotal = (k: number) => (t.rowTotals && k % width === width - 1) || (t.colTotals && Math.floor(k / width) === rowLabels.length - 1);
  for (let guard = 0; guard <= flat.length; guard++) {
    const suppressed = reason.flatMap((r, k) => (r ? [k] : []));
    const exposed = derivableCells(rules, suppressed);
    if (exposed.length === 0) break;
    const target = exposed[0]!;
    // Complement: the smallest published cell sharing a rule with the exposed cell (inner cells before totals, so
    // totals stay published where possible); if every such cell is withheld already, the smallest published cell.
    const related = rules.filter((r) => r[target] !== 0).flatMap((r) => r.flatMap((v, k) => (v !== 0 && !reason[k] ? [k] : [])));
    const pool = related.length ? related : flat.flatMap((_, k) => (!reason[k] ? [k] : []));
    if (pool.length === 0) break;
    pool.sort((a, b) => Number(isTotal(a)) - Number(isTotal(b)) || flat[a]! - flat[b]! || a - b);
    reason[pool[0]!] = 'secondary';
  }
  const values = grid.map((r, i) => r.map((v, j) => (reason[i * width + j] ? null : v)));
  const reasons = grid.map((r, i) => r.map((_, j) => reason[i * width + j]!));
  return { rowLabels, colLabels, values, reason: reasons };
}
