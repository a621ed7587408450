import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { createServices } from '../services.ts';
import { publicationOds } from './routes.ts';
import { isQuarter, quarterLabel } from './quarters.ts';
import { publicationCsv } from './service.ts';

export const PUBLISH_USAGE = 'tandem publish --quarter 2024Q2 --out DIR [--commentary TEXT | --commentary-file FILE] [--change-note TEXT] [--by NAME]';

/**
 * Releases the quarter's publication: brings the summary tables up to date, applies disclosure control, stores the
 * release (immutable; a second run is a revision and needs --change-note), and writes the CSV and ODS files to DIR.
 */
export async function publishCommand(argv: string[], log: (m: string) => void = console.log): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { quarter: { type: 'string' }, out: { type: 'string' }, commentary: { type: 'string' }, 'commentary-file': { type: 'string' }, 'change-note': { type: 'string' }, by: { type: 'string' } },
  });
  if (!values.quarter || !isQuarter(values.quarter) || !values.out) {
    console.error(`Usage: ${PUBLISH_USAGE}`);
    return 2;
  }
  const commentary = values['commentary-file'] ? fs.readFileSync(values['commentary-file'], 'utf8').trim() : (values.commentary ?? '').trim();
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const services = createServices(db, config);
    const refreshed = await services.performance.refreshNow();
    log(`figures refreshed (${refreshed.full ? 'every force' : `${refreshed.forces} force(s) with changes`}, ${refreshed.ms} ms)`);
    let pub;
    try {
      pub = await services.performance.release({ quarter: values.quarter, commentary, changeNote: values['change-note'] ?? '', releasedBy: values.by ?? process.env.USER ?? 'operator' });
    } catch (err) {
      console.error(`tandem publish: ${(err as Error).message}`);
      return 1;
    }
    fs.mkdirSync(values.out, { recursive: true });
    const stem = `rasso-${pub.quarter}-v${pub.version}`;
    const files = [`${stem}.ods`];
    fs.writeFileSync(path.join(values.out, `${stem}.ods`), publicationOds(pub));
    for (const t of pub.tables) {
      fs.writeFileSync(path.join(values.out, `${stem}-${t.id}.csv`), publicationCsv(t));
      files.push(`${stem}-${t.id}.csv`);
    }
    fs.writeFileSync(path.join(values.out, `${stem}.json`), `${JSON.stringify({ quarter: pub.quarter, version: pub.version, releasedAt: pub.released_at, commentary: pub.commentary, changeNote: pub.change_note, tables: pub.tables }, null, 2)}\n`);
    files.push(`${stem}.json`);
    log(`published ${quarterLabel(pub.quarter)} version ${pub.version}: public page /statistics/${pub.quarter}; wrote ${files.length} files to ${values.out}`);
    return 0;
  } finally {
    await db.close();
  }
}
