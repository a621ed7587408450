import { z } from 'zod';
import { checkboxes, dateParts, lines, optionalText, requiredText, version } from '../platform/validation.ts';

/** Form and API schemas for the joint case file (one definition serves both). */

// The case stages and their labels live with the state machine that moves a case between them.
export { STAGES, type Stage, STAGE_LABELS } from './stages.ts';
import { STAGES } from './stages.ts';

export const VULNERABILITIES = ['under_18', 'mental_health', 'learning_disability', 'physical_disability', 'communication', 'substance_use', 'domestic_abuse', 'intimidated'] as const;
export const VULNERABILITY_LABELS: Record<(typeof VULNERABILITIES)[number], string> = {
  under_18: 'Under 18',
  mental_health: 'Mental health condition',
  learning_disability: 'Learning disability',
  physical_disability: 'Physical disability',
  communication: 'Communication needs',
  substance_use: 'Substance use',
  domestic_abuse: 'Domestic abuse context',
  intimidated: 'Fear or distress about giving evidence (intimidated)',
};

export const CONTACT_METHODS = ['phone', 'email', 'letter', 'via_isva'] as const;
export const CONTACT_METHOD_LABELS: Record<(typeof CONTACT_METHODS)[number], string> = {
  phone: 'Phone', email: 'Email', letter: 'Letter', via_isva: 'Through their ISVA',
};
export const INTERVIEWER_SEX = ['female', 'male', 'no_preference'] as const;

export const TEAM_ROLES = ['officer_in_case', 'investigator', 'supervisor', 'prosecutor', 'district_crown_prosecutor', 'paralegal', 'vlo'] as const;
export const TEAM_ROLE_LABELS: Record<(typeof TEAM_ROLES)[number], string> = {
  officer_in_case: 'Officer in case', investigator: 'Investigator', supervisor: 'Police supervisor', prosecutor: 'Prosecutor',
  district_crown_prosecutor: 'District Crown Prosecutor', paralegal: 'Paralegal', vlo: 'Victim Liaison Officer',
};

const UK_PHONE = /^(\+44\s?|0)[0-9 ]{9,13}$/;
const EMAIL = z.email('Enter an email address in the correct format, like name@example.com');
const yesNo = (message: string) => z.enum(['yes', 'no'], { message }).transform((v) => v === 'yes');

export const phoneField = optionalText(20).refine((v) => !v || UK_PHONE.test(v), 'Enter a UK phone number, like 07700 900 982 or +44 7700 900 982');
export const emailField = optionalText(254).refine((v) => !v || EMAIL.safeParse(v).success, 'Enter an email address in the correct format, like name@example.com');

export const caseSchema = (today: () => Date) =>
  z
    .object({
      offences: z.preprocess(
        (v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]),
        z.array(z.string().max(50)).min(1, 'Select at least one offence'),
      ),
      offenceDate: dateParts('date of the offence', { notFuture: today }),
      reportedDate: dateParts('date it was reported', { required: true, notFuture: today }),
      summary: requiredText('Enter a short summary of the allegation', 4000),
      cpsAreaId: optionalText(100),
    })
    .superRefine((v, ctx) => {
      if (v.offenceDate && v.reportedDate && v.offenceDate > v.reportedDate) {
        ctx.addIssue({ code: 'custom', path: ['offenceDate'], message: 'The date of the offence must be on or before the date it was reported' });
      }
    });
export type CaseInput = z.infer<ReturnType<typeof caseSchema>>;

export const caseUpdateSchema = (today: () => Date) => caseSchema(today).and(z.object({ version }));

export const victimSchema = (today: () => Date) =>
  z.object({
    givenName: requiredText('Enter the victim’s first name', 100),
    familyName: requiredText('Enter the victim’s last name', 100),
    dateOfBirth: dateParts('victim’s date of birth', { notFuture: today }),
    ageAtOffence: optionalText(3).refine((v) => !v || (/^\d{1,3}$/.test(v) && Number(v) <= 120), 'Age at the time of the offence must be a whole number from 0 to 120')
      .transform((v) => (v ? Number(v) : null)),
    phone: phoneField,
    email: emailField,
    address: optionalText(500),
    vulnerabilities: checkboxes([...VULNERABILITIES]),
    communicationNeeds: optionalText(1000),
    contactMethod: z.enum(CONTACT_METHODS, { message: 'Select how the victim wants to be contacted' }),
    mayLeaveMessage: yesNo('Select whether a message may be left'),
    safeTimes: optionalText(200),
    interviewerSex: z.enum(INTERVIEWER_SEX, { message: 'Select the victim’s choice of interviewer' }),
    enhancedRights: yesNo('Select whether the victim is entitled to enhanced rights'),
  });
export type VictimInput = z.infer<ReturnType<typeof victimSchema>>;

const aliasLines = lines(20, 200).transform((ls) =>
  ls.map((l) => {
    const parts = l.split(/\s+/);
    const family = parts.length > 1 ? parts.pop()! : '';
    return { given: parts.join(' '), family };
  }),
);

export const suspectSchema = (today: () => Date) =>
  z.object({
    givenName: requiredText('Enter the suspect’s first name, or “Unknown”', 100),
    familyName: requiredText('Enter the suspect’s last name, or “Unknown”', 100),
    aliases: aliasLines,
    dateOfBirth: dateParts('suspect’s date of birth', { notFuture: today }),
    addresses: lines(10, 300),
    phones: lines(10, 20).refine((ps) => ps.every((p) => UK_PHONE.test(p)), 'Each phone number must be a UK number, like 07700 900 982'),
    emails: lines(10, 254).refine((es) => es.every((e) => EMAIL.safeParse(e).success), 'Each email address must be in the correct format, like name@example.com'),
    onlineIdentifiers: lines(20, 200),
    vehicles: lines(10, 10).refine((vs) => vs.every((v) => /^[A-Z0-9 ]{2,8}$/i.test(v)), 'Each vehicle registration must be letters and numbers only, like AB12 CDE'),
  });
export type SuspectInput = z.infer<ReturnType<typeof suspectSchema>>;

export const witnessSchema = z.object({
  givenName: requiredText('Enter the witness’s first name', 100),
  familyName: requiredText('Enter the witness’s last name', 100),
  phone: phoneField,
  email: emailField,
  address: optionalText(500),
  relationship: optionalText(200),
});
export type WitnessInput = z.infer<typeof witnessSchema>;

export const teamMemberSchema = z.object({
  userId: z.uuid({ message: 'Select a person to add to the case team' }),
  teamRole: z.enum(TEAM_ROLES, { message: 'Select their role on the case' }),
});

export const timelineNoteSchema = (today: () => Date) =>
  z.object({
    occurredDate: dateParts('date it happened', { required: true, notFuture: today }),
    summary: requiredText('Enter what happened', 1000),
  });

export const listQuerySchema = z.object({
  q: z.string().trim().max(100).optional().catch(undefined),
  force: z.string().max(100).optional().catch(undefined),
  stage: z.enum(STAGES).optional().catch(undefined),
  offence: z.string().max(50).optional().catch(undefined),
  from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().catch(undefined),
  to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().catch(undefined),
  sort: z.enum(['reported', 'reference', 'stage', 'updated']).catch('reported'),
  order: z.enum(['asc', 'desc']).catch('desc'),
  page: z.coerce.number().int().min(1).max(100000).catch(1),
});
export type ListQuery = z.infer<typeof listQuerySchema>;
