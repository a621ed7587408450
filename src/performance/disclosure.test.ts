import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constraints, protect, THRESHOLD, withTotals } from './disclosure.ts';

/**
 * An independent check of "no withheld cell can be worked out": for each withheld cell, find two tables that both
 * satisfy every additivity rule and agree on every published cell but differ in that cell. Such a pair exists exactly
 * when the null space of the rules, restricted to the withheld cells, holds a vector that is non-zero at that cell.
 * The null space is computed here by its own exact (BigInt rational) reduced row echelon form, not the module's rank test.
 */
type Q = { n: bigint; d: bigint };
const g = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : g(b, a % b));
const q = (n: bigint, d = 1n): Q => {
  if (n === 0n) return { n: 0n, d: 1n };
  const k = g(n, d) * (d < 0n ? -1n : 1n);
  return { n: n / k, d: d / k };
};

function nullSpace(rows: number[][], width: number): Q[][] {
  const m = rows.map((r) => r.map((v) => q(BigInt(v))));
  const pivots: number[] = [];
  let r = 0;
  for (let c = 0; c < width && r < m.length; c++) {
    const p = m.findIndex((row, i) => i >= r && row[c]!.n !== 0n);
    if (p < 0) continue;
    [m[r], m[p]] = [m[p]!, m[r]!];
    const pv = m[r]![c]!;
    m[r] = m[r]!.map((v) => q(v.n * pv.d, v.d * pv.n));
    for (let i = 0; i < m.length; i++) {
      if (i === r || m[i]![c]!.n === 0n) continue;
      const f = m[i]![c]!;
      m[i] = m[i]!.map((v, j) => q(v.n * f.d * m[r]![j]!.d - f.n * m[r]![j]!.n * v.d, v.d * f.d * m[r]![j]!.d));
    }
    pivots.push(c);
    r++;
  }
  const free = [...Array(width).keys()].filter((c) => !pivots.includes(c));
  return free.map((f) => {
    const v: Q[] = Array.from({ length: width }, () => q(0n));
    v[f] = q(1n);
    pivots.forEach((pc, i) => (v[pc] = q(-m[i]![f]!.n, m[i]![f]!.d)));
    return v;
  });
}

function recoverable(rules: number[][], suppressed: number[]): number[] {
  const restricted = rules.map((r) => suppressed.map((k) => r[k]!));
  const basis = nullSpace(restricted, suppressed.length);
  return suppressed.filter((_, i) => basis.every((v) => v[i]!.n === 0n));
}

const tables = fc.record({
  rows: fc.integer({ min: 1, max: 6 }),
  cols: fc.integer({ min: 1, max: 5 }),
  rowTotals: fc.boolean(),
  colTotals: fc.boolean(),
  seed: fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 60 })), { minLength: 30, maxLength: 30 }),
}).map(({ rows, cols, rowTotals, colTotals, seed }) => ({
  rowLabels: Array.from({ length: rows }, (_, i) => `R${i}`),
  colLabels: Array.from({ length: cols }, (_, j) => `C${j}`),
  cells: Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => seed[i * cols + j]!)),
  rowTotals, colTotals,
}));

describe('statistical disclosure control', () => {
  it('withholds a small cell and enough others that it cannot be recovered from the totals', () => {
    const t = protect({ rowLabels: ['North', 'South', 'East'], colLabels: ['EA', 'Charging'], cells: [[3, 40], [25, 31], [18, 22]], rowTotals: true, colTotals: true });
    // 3 is withheld; its row total would give it away, so another cell in its row goes too; and so on down the columns
    expect(t.values[0]![0]).toBeNull();
    expect(t.reason[0]![0]).toBe('primary');
    expect(t.values[0]!.filter((v) => v === null).length).toBeGreaterThanOrEqual(2);
    expect(t.values.map((r) => r[0]).filter((v) => v === null).length).toBeGreaterThanOrEqual(2);
    expect(t.values[3]![2]).toBe(139); // the grand total is published
  });

  it('publishes a table with no small cells as it is', () => {
    const t = protect({ rowLabels: ['A', 'B'], colLabels: ['x', 'y'], cells: [[10, 20], [30, 40]], rowTotals: true, colTotals: true });
    expect(t.values).toEqual([[10, 20, 30], [30, 40, 70], [40, 60, 100]]);
  });

  it('property: every cell below 5 is withheld, and no withheld cell is a linear combination of published cells and totals', () => {
    fc.assert(
      fc.property(tables, (table) => {
        const out = protect(table);
        const full = withTotals(table).grid.flat();
        const width = out.colLabels.length;
        const flatValues = out.values.flat();
        // primary suppression
        full.forEach((v, k) => {
          if (v < THRESHOLD) expect(flatValues[k]).toBeNull();
          else if (flatValues[k] !== null) expect(flatValues[k]).toBe(v);
        });
        // no withheld cell recoverable by any linear combination of the additivity rules
        const rules = constraints(table, table.rowLabels.length, table.colLabels.length);
        const suppressed = flatValues.flatMap((v, k) => (v === null ? [k] : []));
        const exposed = recoverable(rules, suppressed);
        expect(exposed.map((k) => `${out.rowLabels[Math.floor(k / width)]}/${out.colLabels[k % width]}`)).toEqual([]);
      }),
      { numRuns: 300, seed: 20240630 },
    );
  });
});
