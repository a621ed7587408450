import type { Queryable } from '../db/database.ts';
import type { LetterTemplate } from './schemas.ts';

/**
 * Standard letters and messages to a victim. The text names only the intended recipient (the victim), the case
 * reference and the sender; never the suspect. The rendered text is encrypted at rest and travels to the provider
 * by letter id only, so identity never appears in job payloads, logs or notifications.
 */
export interface LetterContext {
  recipientName: string;
  caseReference: string;
  senderName: string;
  senderOrganisation: string;
  date: string;
  vloName: string | null;
}

export function renderLetter(template: LetterTemplate, c: LetterContext): { subject: string; body: string } {
  const greeting = `Dear ${c.recipientName},`;
  const sign = `Yours sincerely,\n\n${c.senderName}\n${c.senderOrganisation}`;
  const contact = c.vloName ? `Your Victim Liaison Officer is ${c.vloName}. You can contact them about anything in this letter.` : 'You can contact us about anything in this letter.';
  switch (template) {
    case 'case_decision':
      return {
        subject: `An update on your case (reference ${c.caseReference})`,
        body: [
          c.date, greeting,
          `We are writing to tell you that a decision has been made to charge in your case (reference ${c.caseReference}).`,
          'The case will now go to court. We will tell you about court dates as soon as we know them, and about any plea that is entered. If there is a trial, you can ask for special measures to help you give evidence, and you will be offered a meeting with the prosecution team before the trial.',
          contact, sign,
        ].join('\n\n'),
      };
    case 'nfa_review_rights':
      return {
        subject: `A decision on your case (reference ${c.caseReference})`,
        body: [
          c.date, greeting,
          `We are writing to tell you that a decision has been made to take no further action in your case (reference ${c.caseReference}). We understand this may be very difficult news.`,
          'You have the right to ask for this decision to be reviewed under the Victims’ Right to Review scheme. You should normally ask within 10 working days of receiving this letter, and within 3 months at the latest. To ask for a review, contact us using the details below; you do not need to give reasons.',
          'If you would like a meeting to explain the decision, please let us know. Support is also available from your Independent Sexual Violence Adviser, if you have one.',
          contact, sign,
        ].join('\n\n'),
      };
    case 'pre_trial_meeting_offer':
      return {
        subject: `An offer of a meeting before the trial (reference ${c.caseReference})`,
        body: [
          c.date, greeting,
          `A not-guilty plea has been entered in your case (reference ${c.caseReference}), so the case will go to trial.`,
          'We would like to offer you a meeting with the prosecution team before the trial. At the meeting you can ask questions, talk about giving evidence and the special measures that could help you, and tell us about any concerns. Someone you choose, such as your ISVA, can come with you. The meeting is your choice: you do not have to accept.',
          'Please let us know whether you would like a meeting, and when and how would suit you.',
          contact, sign,
        ].join('\n\n'),
      };
  }
}

/** Where letters go. The embedded default "delivers" into Tandem's own outbox, viewable on the case. */
export interface LetterProvider {
  readonly name: string;
  deliver(tx: Queryable, letter: { id: string; channel: string }): Promise<{ providerRef: string }>;
}

export const embeddedOutbox: LetterProvider = {
  name: 'embedded',
  deliver: async (_tx, letter) => ({ providerRef: `outbox:${letter.id}` }),
};
