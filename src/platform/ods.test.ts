import { describe, expect, it } from 'vitest';
import { odsFilename, readOds, writeOds } from './ods.ts';

describe('ODS spreadsheets', () => {
  it('writes sheets that read back with their columns, text, numbers and blanks', () => {
    const file = writeOds([
      { name: 'Annex: 2024/25', columns: ['Reference', 'Count', 'Note'], rows: [['JNAP 1', 3, 'Done'], ['JNAP 2', 0, null]] },
      { name: 'Second', columns: ['A'], rows: [['x']] },
    ]);
    // OpenDocument: a zip whose first entry is "mimetype", stored uncompressed, so the type shows at byte 30.
    expect(file.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    expect(file.toString('latin1', 30, 38 + 46)).toBe('mimetypeapplication/vnd.oasis.opendocument.spreadsheet');
    const sheets = readOds(file);
    expect(sheets.map((s) => s.name)).toEqual(['Annex  2024 25', 'Second']);
    expect(sheets[0]).toMatchObject({ columns: ['Reference', 'Count', 'Note'], rows: [['JNAP 1', 3, 'Done'], ['JNAP 2', 0, null]] });
  });

  it('makes safe download names', () => {
    expect(odsFilename('JNAP annex')).toBe('jnap-annex.ods');
    expect(odsFilename('../"x"')).toBe('x.ods');
  });
});
