import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { redactCommand } from './cli.ts';

describe('tandem redact', () => {
  it('redacts each JSONL line with what it knows, and reports bad lines by number without echoing them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'redact-'));
    const input = path.join(dir, 'notes.jsonl');
    const output = path.join(dir, 'redacted.jsonl');
    writeFileSync(input, [
      JSON.stringify({ id: 'n1', text: 'Rosie said Dan Price’s van was outside Oakfield Academy; call 07700 900123.', known: { victims: ['Rosie Ward'], suspects: [{ givenName: 'Daniel', familyName: 'Price' }], places: ['Oakfield Academy'] } }),
      '{"not json',
    ].join('\n'));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const logs = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await redactCommand(['--in', input, '--out', output])).toBe(1);
    expect(errors.mock.calls.flat().join(' ')).toContain('line 2');
    expect(errors.mock.calls.flat().join(' ')).not.toContain('not json');
    const [line] = readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(line).toEqual({ id: 'n1', text: '[VICTIM] said [SUSPECT 1]’s van was outside [SCHOOL/WORKPLACE]; call [PHONE].', redactions: 4 });
    errors.mockRestore();
    logs.mockRestore();
  });
});
