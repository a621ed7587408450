import type { OdsSheet } from '../platform/ods.ts';
import type { CommitmentRow, PlanRow } from './repository.ts';
import { DISPOSITION_LABELS, OWNER_LABELS, STATUS_LABELS } from './schemas.ts';

/** The annex as one spreadsheet: a row per commitment, the columns of the report's annex table. */
export function annexSheet(plan: PlanRow, rows: CommitmentRow[]): OdsSheet {
  return {
    name: `${plan.short_name} annex`,
    columns: ['Reference', 'Commitment', 'Placeholder wording', 'Owner', 'Theme', 'At refresh', 'Status', 'Transferred to', 'Latest update', 'Outcome'],
    rows: rows.map((c) => [
      c.reference, c.title, c.is_placeholder ? 'Yes' : 'No', OWNER_LABELS[c.owner], c.theme_name ?? '', c.disposition ? DISPOSITION_LABELS[c.disposition] : '',
      STATUS_LABELS[c.status], c.transferred_to ?? '', c.latest_update, c.outcome,
    ]),
  };
}

/** Styles for the printable annex: plain A4 landscape table, no navigation, every row kept whole across pages. */
export const PRINT_CSS = `
.app-print { font-family: Arial, sans-serif; color: #0b0c0c; margin: 16px; }
.app-print h1 { font-size: 24px; margin: 0 0 8px; }
.app-print p { font-size: 14px; margin: 0 0 12px; }
.app-print table { border-collapse: collapse; width: 100%; font-size: 12px; }
.app-print th, .app-print td { border: 1px solid #505a5f; padding: 4px 6px; text-align: left; vertical-align: top; }
.app-print thead th { background: #f3f2f1; }
.app-print a { color: #1d70b8; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  .app-print { margin: 0; }
  .app-print .app-no-print { display: none; }
  .app-print thead { display: table-header-group; }
  .app-print tr { break-inside: avoid; page-break-inside: avoid; }
  .app-print a { color: #0b0c0c; text-decoration: none; }
}
`;
