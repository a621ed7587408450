import { describe, expect, it } from 'vitest';
import { labelledNotes } from '../fixtures/labelled-notes.ts';
import { redactText } from './redactor.ts';
import { scoreRedaction } from './score.ts';

const known = {
  victims: [{ givenName: 'Rose', familyName: 'Hallett', dateOfBirth: '1998-06-14', phones: ['07700 900123'], emails: ['rose.h@example.com'], addresses: ['14 Mill Lane, Southampton SO15 2AB'] }],
  suspects: [{ givenName: 'Robert', familyName: 'Marsh', aliases: ['Bobby'], vehicles: ['HX15 ABC'] }],
  witnesses: ['Hope Carter'],
  places: ['Oakfield Academy'],
};

describe('the redactor', () => {
  it('replaces names with role labels, through nicknames, possessives, typos, initials and identifiers', () => {
    const { text } = redactText('Rose’s friend Hope saw Rob Marsh (Bobby) outside Oakfield. Rsoe Hallet, R.H., DOB 14/06/1998, 07700900123, rose.h@example.com, lives at 14 Mill Lane. Car HX15ABC.', known);
    expect(text).toBe('[VICTIM]’s friend [WITNESS 1] saw [SUSPECT 1] ([SUSPECT 1]) outside [SCHOOL/WORKPLACE]. [VICTIM], [VICTIM], DOB [DATE OF BIRTH], [PHONE], [EMAIL], lives at [ADDRESS]. Car [VEHICLE].');
  });

  it('leaves ordinary words alone when they are used as words', () => {
    const { text } = redactText('There is little hope of CCTV. A rose bush by the door. The officer will mark the exhibit.', { victims: ['Rose Hallett'], witnesses: ['Hope Carter', 'Mark Wills'] });
    expect(text).toBe('There is little hope of CCTV. A rose bush by the door. The officer will mark the exhibit.');
  });

  it('learns a name the note introduces ("known as")', () => {
    expect(redactText('Amelia Quintrell (known as Millie) reported it. Millie’s mum called.', { victims: ['Amelia Quintrell'] }).text).toBe('[VICTIM] (known as [VICTIM]) reported it. [VICTIM]’s mum called.');
  });

  it('finds at least 99% of identifying spans in the seeded labelled set of hard notes', { timeout: 120_000 }, () => {
    const score = scoreRedaction(labelledNotes(200, 2026));
    expect(score.goldSpans).toBeGreaterThan(1500);
    expect(score.recall).toBeGreaterThanOrEqual(0.99);
    expect(score.overRedactionRate).toBeLessThan(0.03);
  });

  it('the labelled set is reproducible from its seed', () => {
    expect(labelledNotes(5, 7)).toEqual(labelledNotes(5, 7));
    expect(labelledNotes(5, 7)[0]!.text).not.toBe(labelledNotes(5, 8)[0]!.text);
  });
});
