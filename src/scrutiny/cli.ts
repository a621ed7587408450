import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { buildRedactor } from './redaction/redactor.ts';

const personSchema = z.union([z.string(), z.object({
  name: z.string().optional(), givenName: z.string().optional(), familyName: z.string().optional(), aliases: z.array(z.string()).optional(),
  dateOfBirth: z.string().nullable().optional(), phones: z.array(z.string()).optional(), emails: z.array(z.string()).optional(),
  addresses: z.array(z.string()).optional(), vehicles: z.array(z.string()).optional(), onlineIdentifiers: z.array(z.string()).optional(), places: z.array(z.string()).optional(),
})]);
const lineSchema = z.object({
  id: z.union([z.string(), z.number()]),
  text: z.string(),
  known: z.object({
    victims: z.array(personSchema).optional(), suspects: z.array(personSchema).optional(), witnesses: z.array(personSchema).optional(),
    places: z.array(z.union([z.string(), z.object({ name: z.string(), kind: z.string().optional() })])).optional(),
  }).default({}),
});

/**
 * `tandem redact --in notes.jsonl --out redacted.jsonl`: the scrutiny redactor over a JSONL file of
 * {id, text, known: {victims, suspects, witnesses, places}}. Writes {id, text, redactions}; a bad line is reported by
 * number (never echoed: it may hold identity) and the command exits 1 without writing a partial file's last line.
 */
export async function redactCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { in: { type: 'string' }, out: { type: 'string' } } });
  if (!values.in || !values.out) {
    console.error('tandem redact: give --in notes.jsonl and --out redacted.jsonl');
    return 2;
  }
  const out = createWriteStream(values.out, { encoding: 'utf8' });
  const lines = createInterface({ input: createReadStream(values.in, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0, written = 0, bad = 0;
  for await (const raw of lines) {
    n++;
    if (!raw.trim()) continue;
    let parsed;
    try {
      parsed = lineSchema.safeParse(JSON.parse(raw));
    } catch {
      parsed = null;
    }
    if (!parsed?.success) {
      bad++;
      console.error(`tandem redact: line ${n} is not {id, text, known}; skipped`);
      continue;
    }
    const result = buildRedactor(parsed.data.known).redact(parsed.data.text);
    if (!out.write(`${JSON.stringify({ id: parsed.data.id, text: result.text, redactions: result.spans.length })}\n`)) await once(out, 'drain');
    written++;
  }
  out.end();
  await once(out, 'finish');
  console.log(JSON.stringify({ lines: n, redacted: written, skipped: bad }));
  return bad ? 1 : 0;
}
