/**
 * Reading person CSVs: header auto-mapping for FEBRL, Splink and Tandem person exports, with `field=column` overrides.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { PersonRecord } from './engine/types.ts';

export const MAPPABLE_FIELDS = [
  'id',
  'givenName',
  'familyName',
  'dob',
  'postcode',
  'address',
  'town',
  'birthPlace',
  'sex',
  'occupation',
  'phone',
  'email',
  'onlineIds',
  'vehicles',
  'identifiers',
  'source',
] as const;
export type MappableField = (typeof MAPPABLE_FIELDS)[number];
export type ColumnMap = Partial<Record<MappableField, string[]>>;

/** Header names recognised for each field (compared lower-case with non-alphanumerics removed). Each entry is a list of columns joined with a space. */
const SYNONYMS: Record<Exclude<MappableField, 'source'>, string[][]> = {
  id: [['rec_id'], ['record_id'], ['unique_id'], ['person_id'], ['id']],
  givenName: [['given_name'], ['first_name'], ['forename'], ['forenames'], ['firstname'], ['given']],
  familyName: [['surname'], ['family_name'], ['last_name'], ['lastname']],
  dob: [['date_of_birth'], ['dob'], ['birth_date'], ['birthdate']],
  postcode: [['postcode'], ['post_code'], ['postcode_fake'], ['zip'], ['zipcode'], ['postal_code']],
  address: [['street_number', 'address_1', 'address_2'], ['address_1', 'address_2'], ['address'], ['address_line_1', 'address_line_2'], ['street']],
  town: [['suburb'], ['town'], ['city'], ['locality']],
  birthPlace: [['birth_place'], ['place_of_birth'], ['birthplace']],
  sex: [['sex'], ['gender']],
  occupation: [['occupation']],
  phone: [['phone'], ['phone_number'], ['telephone'], ['mobile'], ['tel']],
  email: [['email'], ['email_address']],
  onlineIds: [['online_ids'], ['online_id'], ['username'], ['handle']],
  vehicles: [['vehicles'], ['vehicle'], ['vrm'], ['registration']],
  identifiers: [['soc_sec_id'], ['identifiers'], ['ni_number'], ['national_insurance_number'], ['pnc_id'], ['passport_number']],
};

const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

export class CsvMappingError extends Error {}

/** Resolve a field name given as camelCase or snake_case (e.g. given_name → givenName). */
export function resolveFieldName(name: string): MappableField | null {
  const s = squash(name);
  for (const f of MAPPABLE_FIELDS) if (squash(f) === s) return f;
  for (const [f, lists] of Object.entries(SYNONYMS)) if (lists.some((cols) => cols.length === 1 && squash(cols[0]!) === s)) return f as MappableField;
  return null;
}

/**
 * Map header columns to record fields. `overrides` are `field=column` (several columns joined with `+`).
 * Throws CsvMappingError when an override names an unknown field or column, or when no id or name column is found.
 */
export function mapColumns(header: readonly string[], overrides: readonly string[] = []): ColumnMap {
  const bySquash = new Map<string, string>();
  for (const h of header) if (!bySquash.has(squash(h))) bySquash.set(squash(h), h);
  const map: ColumnMap = {};
  for (const [field, lists] of Object.entries(SYNONYMS)) {
    for (const cols of lists) {
      const found = cols.map((c) => bySquash.get(squash(c)));
      if (found.every((c) => c !== undefined)) {
        map[field as MappableField] = found as string[];
        break;
      }
    }
  }
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new CsvMappingError(`--map expects field=column, got "${o}"`);
    const field = resolveFieldName(o.slice(0, eq).trim());
    if (!field) throw new CsvMappingError(`--map: unknown field "${o.slice(0, eq)}" (fields: ${MAPPABLE_FIELDS.join(', ')})`);
    const value = o.slice(eq + 1).trim();
    if (value === '') {
      delete map[field];
      continue;
    }
    const cols = value.split('+').map((c) => c.trim());
    for (const c of cols) {
      if (!header.includes(c) && !bySquash.has(squash(c))) throw new CsvMappingError(`--map ${field}: no column "${c}" in the header (${header.join(', ')})`);
    }
    map[field] = cols.map((c) => (header.includes(c) ? c : bySquash.get(squash(c))!));
  }
  const missing: string[] = [];
  if (!map.id) missing.push('record id column (rec_id, unique_id, record_id or id)');
  if (!map.givenName && !map.familyName) missing.push('name column (given_name/first_name or surname/family_name)');
  if (missing.length) {
    throw new CsvMappingError(`cannot map the CSV header (${header.join(', ')}): found no ${missing.join(' and no ')}. Use --map field=column, e.g. --map id=person_ref`);
  }
  return map;
}

export interface CsvTable {
  header: string[];
  rows: string[][];
}

export function parseCsv(text: string): CsvTable {
  const rows = parse(text, { trim: true, relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
  const header = rows.shift() ?? [];
  return { header, rows };
}

export function readCsvFile(path: string): CsvTable {
  return parseCsv(readFileSync(path, 'utf8'));
}

const MULTI = new Set<MappableField>(['onlineIds', 'vehicles', 'identifiers']);

/** Build records from rows with a column map. Label columns are never read (only mapped fields). */
export function rowsToRecords(table: CsvTable, map: ColumnMap): PersonRecord[] {
  const pos = new Map<string, number>(table.header.map((h, i) => [h, i]));
  const getters = (Object.entries(map) as [MappableField, string[]][]).map(([field, cols]) => {
    const idx = cols.map((c) => pos.get(c)!);
    return { field, idx };
  });
  const out: PersonRecord[] = new Array(table.rows.length);
  for (let r = 0; r < table.rows.length; r++) {
    const row = table.rows[r]!;
    const rec: PersonRecord = { id: '', givenName: '', familyName: '' };
    for (const { field, idx } of getters) {
      let v = idx.length === 1 ? (row[idx[0]!] ?? '') : idx.map((i) => row[i] ?? '').filter(Boolean).join(' ');
      v = v.trim();
      if (MULTI.has(field)) {
        const list = v.split(/[;|]/).map((s) => s.trim()).filter(Boolean);
        if (list.length) (rec as unknown as Record<string, unknown>)[field] = list;
      } else if (v !== '') {
        (rec as unknown as Record<string, unknown>)[field] = v;
      }
    }
    if (!rec.id) rec.id = String(r + 1);
    out[r] = rec;
  }
  return out;
}
