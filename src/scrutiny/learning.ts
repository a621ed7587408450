import { THEME_LABELS, THEMES, type Theme } from './schemas.ts';

type Row = { panel_id: string; panel_name: string; quarter: string; theme: string; n: number };

/** Theme × quarter totals (all panels), and per-panel rows, for the table beside the chart. */
export function learningTable(rows: Row[]) {
  const quarters = [...new Set(rows.map((r) => r.quarter))].sort();
  const totals = THEMES.map((t) => ({
    theme: t, label: THEME_LABELS[t],
    byQuarter: quarters.map((q) => rows.filter((r) => r.theme === t && r.quarter === q).reduce((a, r) => a + r.n, 0)),
    total: rows.filter((r) => r.theme === t).reduce((a, r) => a + r.n, 0),
    panels: new Set(rows.filter((r) => r.theme === t).map((r) => r.panel_id)).size,
  }));
  return { quarters, totals, rows: rows.map((r) => ({ ...r, label: THEME_LABELS[r.theme as Theme] ?? r.theme })) };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Server-rendered SVG: one horizontal bar per theme (findings across all panels), labelled with its value, so the
 * chart reads without colour and without JavaScript. role="img" with a title and description; the same numbers are
 * in the table that follows it.
 */
export function learningChart(rows: Row[]): string {
  const { totals } = learningTable(rows);
  const max = Math.max(1, ...totals.map((t) => t.total));
  const barH = 28, gap = 10, left = 220, width = 640, top = 10;
  const height = top + totals.length * (barH + gap);
  const bars = totals.map((t, i) => {
    const y = top + i * (barH + gap);
    const w = Math.round((t.total / max) * (width - left - 60));
    return `<text x="${left - 10}" y="${y + barH / 2 + 5}" text-anchor="end" font-size="16" fill="#0b0c0c">${esc(t.label)}</text>`
      + `<rect x="${left}" y="${y}" width="${w}" height="${barH}" fill="#1d70b8"></rect>`
      + `<text x="${left + w + 8}" y="${y + barH / 2 + 5}" font-size="16" fill="#0b0c0c">${t.total}</text>`;
  }).join('');
  const desc = totals.map((t) => `${t.label}: ${t.total}`).join('; ');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="learning-chart-title learning-chart-desc" viewBox="0 0 ${width} ${height}" width="100%" data-qa="learning-chart">`
    + `<title id="learning-chart-title">Findings by theme across all panels</title><desc id="learning-chart-desc">${esc(desc)}</desc>${bars}</svg>`;
}

export function learningCsv(rows: Row[]): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return ['panel,quarter,theme,findings', ...rows.map((r) => [q(r.panel_name), r.quarter, q(THEME_LABELS[r.theme as Theme] ?? r.theme), String(r.n)].join(','))].join('\n') + '\n';
}
