import { redactText } from '../scrutiny/redaction/redactor.ts';
import { type Redactor, replaceLiterals } from './redaction.ts';

/**
 * Case studies through the scrutiny capability's redactor (names with nicknames, initials and misspellings; contact
 * details; addresses; dates of birth; schools and workplaces; role labels such as [VICTIM] and [SUSPECT 1]). The case
 * reference is not a person's detail, so it is replaced here first.
 */
export const scrutinyRedactor: Redactor = {
  redact(text, known) {
    const ref = replaceLiterals(text, known ? [known.reference] : [], '[CASE REFERENCE]');
    const result = redactText(ref.text, known ? { victims: known.victims, suspects: known.suspects, witnesses: known.witnesses } : {});
    return { text: result.text, redactions: ref.redactions + result.spans.length };
  },
};
