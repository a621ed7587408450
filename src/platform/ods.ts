import { crc32 } from 'node:zlib';
import * as XLSX from '@e965/xlsx';

/**
 * OpenDocument spreadsheets (.ods) for downloads: the annex of an action plan, published statistics. A thin wrapper
 * over SheetJS (Community Edition 0.20.3, republished to npm as @e965/xlsx because the `xlsx` name there is stuck at
 * 0.18.5 with known advisories) so that callers deal only in sheets of plain rows and the library can be swapped.
 */

export type OdsCell = string | number | boolean | Date | null | undefined;

export interface OdsSheet {
  /** Sheet (tab) name: at most 31 characters, no []:*?/\ (the format's rule). */
  name: string;
  /** Column headings, written as the first row. */
  columns: string[];
  rows: OdsCell[][];
}

export const ODS_CONTENT_TYPE = 'application/vnd.oasis.opendocument.spreadsheet';

/** Writes the sheets, in order, to one .ods file. */
export function writeOds(sheets: OdsSheet[]): Buffer {
  if (sheets.length === 0) throw new Error('an ODS file needs at least one sheet');
  const book = XLSX.utils.book_new();
  for (const sheet of sheets) {
    const aoa = [sheet.columns, ...sheet.rows.map((r) => r.map((c) => (c === undefined ? null : c)))];
    XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet(aoa, { cellDates: true }), safeSheetName(sheet.name));
  }
  return mimetypeFirst(XLSX.write(book, { type: 'buffer', bookType: 'ods', compression: true }) as Buffer);
}

/**
 * OpenDocument requires the zip's first entry to be "mimetype", stored uncompressed, so that tools recognise the file
 * from its first bytes (ODF 1.2 part 3, 3.3). SheetJS writes entries in name order and compresses them all, so the
 * entries are reordered here (copied as they are; "mimetype" rewritten stored) and the central directory rebuilt.
 */
function mimetypeFirst(zip: Buffer): Buffer {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd -= 1;
  if (eocd < 0) throw new Error('not a zip file');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: { name: string; central: Buffer; local: Buffer }[] = [];
  for (let i = 0; i < count; i += 1) {
    const nameLen = zip.readUInt16LE(at + 28), extraLen = zip.readUInt16LE(at + 30), commentLen = zip.readUInt16LE(at + 32);
    const central = Buffer.from(zip.subarray(at, at + 46 + nameLen + extraLen + commentLen));
    const name = zip.toString('latin1', at + 46, at + 46 + nameLen);
    const offset = zip.readUInt32LE(at + 42);
    const localLen = 30 + zip.readUInt16LE(offset + 26) + zip.readUInt16LE(offset + 28) + zip.readUInt32LE(at + 20);
    entries.push({ name, central, local: Buffer.from(zip.subarray(offset, offset + localLen)) });
    at += central.length;
  }
  const mime = entries.find((e) => e.name === 'mimetype');
  if (!mime) return zip;
  const data = Buffer.from(ODS_CONTENT_TYPE, 'latin1');
  const header = Buffer.from(mime.local.subarray(0, 30));
  header.writeUInt16LE(0, 8); // method: stored
  header.writeUInt32LE(crc32(data) >>> 0, 14);
  header.writeUInt32LE(data.length, 18);
  header.writeUInt32LE(data.length, 22);
  header.writeUInt16LE(0, 28); // no extra field
  mime.local = Buffer.concat([header, Buffer.from('mimetype', 'latin1'), data]);
  mime.central.writeUInt16LE(0, 10);
  mime.central.writeUInt32LE(crc32(data) >>> 0, 16);
  mime.central.writeUInt32LE(data.length, 20);
  mime.central.writeUInt32LE(data.length, 24);
  const ordered = [mime, ...entries.filter((e) => e !== mime)];
  let offset = 0;
  for (const e of ordered) {
    e.central.writeUInt32LE(offset, 42);
    offset += e.local.length;
  }
  const centralDir = Buffer.concat(ordered.map((e) => e.central));
  const end = Buffer.from(zip.subarray(eocd, zip.length));
  end.writeUInt32LE(centralDir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...ordered.map((e) => e.local), centralDir, end]);
}

/** Reads an .ods file back into sheets of rows (first row as the columns). For tests and imports. */
export function readOds(data: Buffer | Uint8Array): OdsSheet[] {
  const book = XLSX.read(data, { type: 'buffer', cellDates: true });
  return book.SheetNames.map((name) => {
    const aoa = XLSX.utils.sheet_to_json<OdsCell[]>(book.Sheets[name]!, { header: 1, raw: true, defval: null, blankrows: false });
    const [columns = [], ...rows] = aoa;
    return { name, columns: columns.map((c) => String(c ?? '')), rows };
  });
}

/** A safe Content-Disposition filename for a download. */
export function odsFilename(stem: string): string {
  return `${stem.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'download'}.ods`;
}

function safeSheetName(name: string): string {
  return name.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31) || 'Sheet';
}
