import type { CasePeopleForRedaction } from '../cases/service.ts';

/**
 * What the programme needs from a redactor: free text in, text with identifying details replaced out. Case studies
 * are stored only after redaction. `known` is what the linked case file knows about its people (null when the case
 * study is not linked to a case: then only patterns apply).
 *
 * Tandem uses the scrutiny capability's redactor (scrutiny-redactor.ts). The small rule-based one below was written
 * first, while scrutiny's was being built, and is kept as a dependency-free fallback behind the same interface.
 */
export interface Redactor {
  redact(text: string, known: CasePeopleForRedaction | null): { text: string; redactions: number };
}

export const REDACTED = '[redacted]';

// Patterns that identify someone whatever case they come from.
const PATTERNS: RegExp[] = [
  /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/gi, // email addresses
  /(?:\+44\s?|\b0)\d(?:[\s-]?\d){8,9}\b/g, // UK phone numbers
  /\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b/gi, // UK postcodes
  /\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b/g, // dates written as numbers (dates of birth)
  /\b[A-Z]{2}\d{2}\s?[A-Z]{3}\b/g, // vehicle registrations
  /\b(?:[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D])\b/gi, // National Insurance numbers
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every identifying string of the case, flat (names, full names, aliases, contact details, the case reference). */
export function flatten(known: CasePeopleForRedaction | null): string[] {
  if (!known) return [];
  const people = [...known.victims, ...known.suspects, ...known.witnesses];
  return [
    known.reference,
    ...people.flatMap((p) => [
      p.givenName, p.familyName, `${p.givenName} ${p.familyName}`, ...(p.aliases ?? []), ...(p.aliases ?? []).flatMap((a) => a.split(/\s+/)),
      p.dateOfBirth ?? '', ...(p.phones ?? []), ...(p.emails ?? []), ...(p.addresses ?? []), ...(p.vehicles ?? []), ...(p.onlineIdentifiers ?? []),
    ]),
  ];
}

/** Replaces each literal (longest first, any case, whole words only); returns the text and how many were replaced. */
export function replaceLiterals(text: string, literals: readonly string[], label = REDACTED): { text: string; redactions: number } {
  let out = text;
  let redactions = 0;
  const terms = [...new Set(literals.map((k) => k.trim()).filter((k) => k.length >= 2))].sort((a, b) => b.length - a.length);
  for (const term of terms) {
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${escape(term).replace(/\s+/g, '\\s+')}(?![\\p{L}\\p{N}])`, 'giu');
    out = out.replace(re, () => {
      redactions += 1;
      return label;
    });
  }
  return { text: out, redactions };
}

export const ruleBasedRedactor: Redactor = {
  redact(text, known) {
    const literal = replaceLiterals(text, flatten(known));
    let out = literal.text;
    let redactions = literal.redactions;
    for (const re of PATTERNS) {
      out = out.replace(re, () => {
        redactions += 1;
        return REDACTED;
      });
    }
    return { text: out, redactions };
  },
};
