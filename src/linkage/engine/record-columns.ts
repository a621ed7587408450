/**
 * PersonRecords packed as one string per field, for handing a million records to the link helper thread.
 * Structured-cloning a million objects cost the main thread seconds (measured 2.4 s in a 1M profile); copying a
 * few long strings costs milliseconds, and the helper rebuilds the objects on its own thread.
 *
 * Missing values become '' (prepareRecord treats null, undefined and '' alike). When a value contains one of the
 * separator characters, or is not a string, packRecords returns null and the caller clones the records instead.
 */
import type { PersonRecord } from './types.ts';

const SCALARS = ['id', 'givenName', 'familyName', 'dob', 'postcode', 'address', 'town', 'birthPlace', 'sex', 'occupation', 'phone', 'email', 'source'] as const;
const LISTS = ['onlineIds', 'vehicles', 'identifiers'] as const;
/** between records / between list items / between an alias's given and family name */
const RECORD = '\u001f';
const ITEM = '\u001e';
const PART = '\u001d';

export interface PackedRecords {
  count: number;
  columns: Record<string, string>;
}

function count(s: string, ch: string): number {
  let c = 0;
  for (let at = s.indexOf(ch); at >= 0; at = s.indexOf(ch, at + 1)) c++;
  return c;
}

const text = (v: unknown): string | null => (v == null ? '' : typeof v === 'string' ? v : null);

export function packRecords(input: readonly PersonRecord[]): PackedRecords | null {
  const n = input.length;
  const columns: Record<string, string> = {};
  const cells = new Array<string>(n);
  for (const f of SCALARS) {
    for (let i = 0; i < n; i++) {
      const v = text(input[i]![f]);
      if (v === null) return null;
      cells[i] = v;
    }
    const col = cells.join(RECORD);
    if (count(col, RECORD) !== n - 1 || count(col, ITEM) || count(col, PART)) return null;
    columns[f] = col;
  }
  for (const f of LISTS) {
    let items = 0;
    for (let i = 0; i < n; i++) {
      const list = input[i]![f];
      if (!list || !list.length) {
        cells[i] = '';
        continue;
      }
      for (const v of list) if (text(v) === null) return null;
      items += list.length - 1;
      cells[i] = list.map((v) => v ?? '').join(ITEM);
    }
    const col = cells.join(RECORD);
    if (count(col, RECORD) !== n - 1 || count(col, ITEM) !== items || count(col, PART)) return null;
    columns[f] = col;
  }
  let aliases = 0;
  let separators = 0;
  for (let i = 0; i < n; i++) {
    const list = input[i]!.aliases;
    if (!list || !list.length) {
      cells[i] = '';
      continue;
    }
    const parts: string[] = [];
    for (const a of list) {
      const g = text(a?.given);
      const fam = text(a?.family);
      if (g === null || fam === null) return null;
      parts.push(g + PART + fam);
    }
    aliases += list.length;
    separators += list.length - 1;
    cells[i] = parts.join(ITEM);
  }
  const col = cells.join(RECORD);
  if (count(col, RECORD) !== n - 1 || count(col, ITEM) !== separators || count(col, PART) !== aliases) return null;
  columns.aliases = col;
  return { count: n, columns };
}

export function unpackRecords(packed: PackedRecords): PersonRecord[] {
  const n = packed.count;
  const split = (f: string) => (n ? packed.columns[f]!.split(RECORD) : []);
  const scalars = SCALARS.map(split);
  const lists = LISTS.map(split);
  const aliases = split('aliases');
  const out = new Array<PersonRecord>(n);
  for (let i = 0; i < n; i++) {
    const r: PersonRecord = {
      id: scalars[0]![i]!,
      givenName: scalars[1]![i]!,
      familyName: scalars[2]![i]!,
      dob: scalars[3]![i]!,
      postcode: scalars[4]![i]!,
      address: scalars[5]![i]!,
      town: scalars[6]![i]!,
      birthPlace: scalars[7]![i]!,
      sex: scalars[8]![i]!,
      occupation: scalars[9]![i]!,
      phone: scalars[10]![i]!,
      email: scalars[11]![i]!,
      source: scalars[12]![i]!,
    };
    const ids = lists[0]![i]!;
    if (ids) r.onlineIds = ids.split(ITEM);
    const veh = lists[1]![i]!;
    if (veh) r.vehicles = veh.split(ITEM);
    const idf = lists[2]![i]!;
    if (idf) r.identifiers = idf.split(ITEM);
    const al = aliases[i]!;
    if (al)
      r.aliases = al.split(ITEM).map((a) => {
        const at = a.indexOf(PART);
        return { given: a.slice(0, at), family: a.slice(at + 1) };
      });
    out[i] = r;
  }
  return out;
}
