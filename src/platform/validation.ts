import { z } from 'zod';

/** One form error as the GOV.UK error summary and field components want it. */
export interface FieldError {
  field: string;
  text: string;
  href: string;
}

export type FormResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[]; byField: Record<string, string> };

/** Validates a parsed form body with a zod schema; errors keep the schema's order (the order of the fields on the page). */
export function validateForm<S extends z.ZodType>(schema: S, body: unknown): FormResult<z.infer<S>> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return { ok: true, value: result.data };
  const errors: FieldError[] = [];
  const byField: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = issue.path.map(String).join('.') || 'form';
    if (byField[field]) continue;
    byField[field] = issue.message;
    errors.push({ field, text: issue.message, href: `#${field.replace(/\./g, '-')}` });
  }
  return { ok: false, errors, byField };
}

const trimmed = z.preprocess((v) => (typeof v === 'string' ? v.trim() : v ?? ''), z.string());

/** A required text field with a message that says what to enter. */
export const requiredText = (message: string, max = 500) =>
  trimmed.pipe(z.string().min(1, message).max(max, `Must be ${max} characters or fewer`));

export const optionalText = (max = 2000) => trimmed.pipe(z.string().max(max, `Must be ${max} characters or fewer`));

/** Checkbox groups arrive as a string, an array, or nothing. */
export const checkboxes = <T extends [string, ...string[]]>(values: T) =>
  z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(z.enum(values)));

/** One value per line in a textarea (phones, aliases, addresses). */
export const lines = (max = 20, each = 200) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(/\r?\n/).map((s) => s.trim()).filter(Boolean) : Array.isArray(v) ? v : []),
    z.array(z.string().max(each, `Each line must be ${each} characters or fewer`)).max(max, `Enter no more than ${max} lines`),
  );

export const version = z.coerce.number({ message: 'The form is missing its version; reload the page' }).int().positive();

/**
 * A GOV.UK date input (three fields: name-day, name-month, name-year). Returns 'YYYY-MM-DD'.
 * `label` names the date in messages, as the design system's error message guidance asks.
 */
export function dateParts(label: string, opts: { required?: boolean; notFuture?: () => Date } = {}) {
  return z
    .object({ day: optionalText(2), month: optionalText(2), year: optionalText(4) })
    .transform((p, ctx): string | null => {
      const { day, month, year } = p;
      if (!day && !month && !year) {
        if (opts.required) ctx.addIssue({ code: 'custom', message: `Enter the ${label}` });
        return null;
      }
      const missing = [!day && 'day', !month && 'month', !year && 'year'].filter(Boolean);
      if (missing.length) {
        ctx.addIssue({ code: 'custom', message: `The ${label} must include a ${missing.join(' and ')}` });
        return null;
      }
      const d = Number(day), m = Number(month), y = Number(year);
      const date = new Date(Date.UTC(y, m - 1, d));
      if (!/^\d{4}$/.test(year) || !Number.isInteger(d) || !Number.isInteger(m) || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
        ctx.addIssue({ code: 'custom', message: `The ${label} must be a real date` });
        return null;
      }
      if (y < 1900) {
        ctx.addIssue({ code: 'custom', message: `The ${label} must be after 1900` });
        return null;
      }
      if (opts.notFuture && date.getTime() > opts.notFuture().getTime()) {
        ctx.addIssue({ code: 'custom', message: `The ${label} must be today or in the past` });
        return null;
      }
      return date.toISOString().slice(0, 10);
    });
}

/** Turns flat form fields "x-day", "x-month", "x-year" into { x: { day, month, year } } for dateParts. */
export function nestDates(body: Record<string, unknown>, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  for (const n of names) {
    out[n] = { day: body[`${n}-day`], month: body[`${n}-month`], year: body[`${n}-year`] };
  }
  return out;
}
