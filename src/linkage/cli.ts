/**
 * `tandem link --in FILE.csv --out clusters.csv [--map field=column ...] [--threshold P]`
 *
 * Reads a CSV with a header (FEBRL, Splink and Tandem person exports are mapped automatically), links the records
 * into persons without reading any label column, and writes `record_id,cluster_id` for every input row, in input
 * order. The cluster id is the record id of the cluster's first record. Progress goes to stderr.
 * Exit codes: 0 done, 2 usage error / missing file / unmappable header.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CsvMappingError, mapColumns, readCsvFile, rowsToRecords } from './csv.ts';
import { linkRecords } from './engine/link.ts';

const USAGE = `Usage: tandem link --in FILE.csv --out clusters.csv [--map field=column ...] [--threshold P]

Links person records into clusters (one cluster per person) and writes record_id,cluster_id for every row.
Columns are mapped by common names (FEBRL, Splink, Tandem person CSVs); override with --map, e.g.
  --map givenName=forename --map address=house+street --map id=person_ref
Fields: id, givenName, familyName, dob, postcode, address, town, birthPlace, sex, occupation, phone, email,
onlineIds, vehicles, identifiers (several values separated by ; or |). Label columns are never read.`;

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function linkCommand(args: string[]): Promise<number> {
  const err = (msg: string) => process.stderr.write(`tandem link: ${msg}\n`);
  let values: { in?: string; out?: string; map?: string[]; threshold?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        in: { type: 'string' },
        out: { type: 'string' },
        map: { type: 'string', multiple: true },
        threshold: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    err((e as Error).message);
    process.stderr.write(USAGE + '\n');
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (!values.in || !values.out) {
    err('--in and --out are required');
    process.stderr.write(USAGE + '\n');
    return 2;
  }
  let threshold: number | undefined;
  if (values.threshold !== undefined) {
    threshold = Number(values.threshold);
    if (!(threshold > 0 && threshold < 1)) {
      err(`--threshold must be a probability between 0 and 1, got "${values.threshold}"`);
      return 2;
    }
  }
  if (!existsSync(values.in) || !statSync(values.in).isFile()) {
    err(`input file not found: ${values.in}`);
    return 2;
  }
  const t0 = performance.now();
  const table = readCsvFile(values.in);
  if (table.header.length === 0) {
    err(`${values.in} is empty (a header row is required)`);
    return 2;
  }
  let map;
  try {
    map = mapColumns(table.header, values.map ?? []);
  } catch (e) {
    if (e instanceof CsvMappingError) {
      err(e.message);
      return 2;
    }
    throw e;
  }
  const mapped = Object.entries(map)
    .map(([f, cols]) => `${f}←${cols.join('+')}`)
    .join(', ');
  err(`read ${table.rows.length} rows from ${values.in}; columns: ${mapped}`);
  const records = rowsToRecords(table, map);
  const result = linkRecords(records, {
    threshold,
    onProgress: (stage, detail) => err(`${stage}${detail ? ' ' + JSON.stringify(detail) : ''}`),
  });
  const lines = ['record_id,cluster_id'];
  for (let i = 0; i < records.length; i++) lines.push(`${csvField(records[i]!.id)},${csvField(records[result.clusterOf[i]!]!.id)}`);
  writeFileSync(values.out, lines.join('\n') + '\n');
  const clusters = new Set(result.clusterOf).size;
  err(
    `wrote ${records.length} rows, ${clusters} clusters to ${values.out} (${result.pairs.length} candidate pairs, ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  return 0;
}
