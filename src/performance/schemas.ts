import { z } from 'zod';
import { OFFENCE_GROUPS } from './measures.ts';
import { isQuarter, quarterRange } from './quarters.ts';
import { DATA_QUALITY_PROBLEMS } from './repository.ts';

const quarter = (label: string) => z.preprocess((v) => (v === '' ? undefined : v), z.string().refine(isQuarter, `${label} must be a quarter like 2024Q2`).optional());
const slug = z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^[a-z0-9-]{1,60}$/, 'Choose from the list').optional());

/** Dashboard filters (a GET form): every field optional; the service fills in the principal's own view and range. */
export const dashboardQuerySchema = z.object({
  group: z.preprocess((v) => (v === '' ? undefined : v), z.enum(Object.keys(OFFENCE_GROUPS) as [keyof typeof OFFENCE_GROUPS], { message: 'Choose an offence group' }).optional()),
  area: slug,
  force: slug,
  from: quarter('The first quarter'),
  to: quarter('The last quarter'),
  baseline: quarter('The baseline quarter'),
  table: z.enum(['measures', 'referrals-charges', 'charge-rate', 'breakdown']).optional(),
}).superRefine((v, ctx) => {
  if (v.from && v.to && v.from > v.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'The last quarter must be the same as or after the first quarter' });
  // zod still runs this when a field failed its own check: only count the range of two real quarters (from=1868 was a 500).
  if (isQuarter(v.from) && isQuarter(v.to) && v.from <= v.to && quarterRange(v.from, v.to).length > 40) ctx.addIssue({ code: 'custom', path: ['from'], message: 'Choose 40 quarters (10 years) or fewer' });
});

export const dataQualityQuerySchema = z.object({
  problem: z.preprocess((v) => (v === '' ? undefined : v), z.enum(Object.keys(DATA_QUALITY_PROBLEMS) as [keyof typeof DATA_QUALITY_PROBLEMS]).optional()).catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
  sort: z.enum(['reference', 'problem']).catch('reference'),
  order: z.enum(['asc', 'desc']).catch('asc'),
});

export const publicationParamsSchema = z.object({ quarter: z.string().refine(isQuarter) });
