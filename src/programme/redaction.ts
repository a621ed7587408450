/**
 * What the programme needs from a redactor: free text in, text with identifying details replaced out. Case studies
 * are stored only after redaction. The scrutiny capability's redactor was not yet available when this was written,
 * so a small rule-based one lives here behind this interface; swap it in services.ts when scrutiny's lands.
 */
export interface Redactor {
  /** `known` are identifying strings from the linked case (names, contact details, references). */
  redact(text: string, known: readonly string[]): { text: string; redactions: number };
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

export const ruleBasedRedactor: Redactor = {
  redact(text, known) {
    let out = text;
    let redactions = 0;
    // Longest first, so "Amelia Quintrell" goes before "Amelia"; whole words only, any case.
    const terms = [...new Set(known.map((k) => k.trim()).filter((k) => k.length >= 2))].sort((a, b) => b.length - a.length);
    for (const term of terms) {
      const re = new RegExp(`(?<![\\p{L}\\p{N}])${escape(term).replace(/\s+/g, '\\s+')}(?![\\p{L}\\p{N}])`, 'giu');
      out = out.replace(re, () => {
        redactions += 1;
        return REDACTED;
      });
    }
    for (const re of PATTERNS) {
      out = out.replace(re, () => {
        redactions += 1;
        return REDACTED;
      });
    }
    return { text: out, redactions };
  },
};
