import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition, deriveStage, nextStage, STAGE_LABELS, STAGES, StageTransitionError, TRANSITIONS } from './stages.ts';

describe('case stage state machine', () => {
  it('labels every stage and only names known stages as targets', () => {
    for (const s of STAGES) {
      expect(STAGE_LABELS[s]).toBeTruthy();
      for (const t of TRANSITIONS[s]) expect(STAGES).toContain(t);
    }
  });

  it('keeps the stages the synthetic data and earlier migrations use', () => {
    for (const s of ['investigation', 'early_advice', 'charging_decision', 'charged', 'trial', 'convicted', 'acquitted', 'discontinued', 'nfa_police', 'nfa_cps', 'administratively_finalised']) {
      expect(STAGES).toContain(s);
    }
  });

  it('derives the stage by replaying the journey: EA, file, charge, pre-trial, trial, verdict', () => {
    expect(deriveStage(['ea_requested', 'ea_given', 'file_submitted', 'charged', 'sent_for_trial', 'trial_listed', 'convicted'])).toBe('convicted');
    expect(deriveStage(['ea_requested', 'ea_requested', 'ea_given', 'ea_requested'])).toBe('early_advice');
    expect(deriveStage(['file_submitted', 'action_plan', 'file_submitted', 'nfa_cps'])).toBe('nfa_cps');
    expect(deriveStage(['police_outcome'])).toBe('nfa_police');
    expect(deriveStage(['file_submitted', 'nfa_cps', 'vrr_overturned_cps', 'charged', 'guilty_plea'])).toBe('convicted');
    expect(deriveStage(['file_submitted', 'charged', 'discontinued', 'proceedings_reinstituted'])).toBe('charged');
    expect(deriveStage(['file_submitted', 'administratively_finalised', 'file_submitted'])).toBe('charging_decision');
  });

  it('refuses impossible transitions with a message that says why', () => {
    const refused = (from: (typeof STAGES)[number], to: (typeof STAGES)[number]) => {
      try {
        assertTransition(from, to);
      } catch (err) {
        expect(err).toBeInstanceOf(StageTransitionError);
        expect((err as StageTransitionError).statusCode).toBe(409);
        return (err as StageTransitionError).detail!;
      }
      throw new Error(`${from} → ${to} was allowed`);
    };
    expect(refused('nfa_cps', 'charged')).toMatch(/closed with no further action cannot be charged/);
    expect(refused('nfa_police', 'charged')).toMatch(/cannot be charged/);
    expect(refused('charged', 'nfa_police')).toMatch(/police cannot close a case with no further action after charge/);
    expect(refused('trial', 'nfa_police')).toMatch(/after charge/);
    expect(refused('charging_decision', 'nfa_police')).toMatch(/with the CPS for a charging decision/);
    expect(refused('investigation', 'charged')).toMatch(/once the police have submitted the full file/);
    expect(refused('charged', 'charging_decision')).toMatch(/already been charged/);
    expect(refused('investigation', 'trial')).toMatch(/Court stages follow a charge/);
    expect(refused('charged', 'acquitted')).toMatch(/acquittal follows a trial/);
    expect(refused('convicted', 'investigation')).toMatch(/finalised/);
    expect(refused('charging_decision', 'early_advice')).toMatch(/already with the CPS/);
    expect(refused('investigation', 'nfa_cps')).toMatch(/full file submitted/);
    expect(() => deriveStage(['file_submitted', 'nfa_cps', 'charged'])).toThrow(StageTransitionError);
    expect(() => nextStage('charged', 'police_outcome')).toThrow(/after charge/);
  });

  it('allows repeat Early Advice and the reopening routes, not a second charge', () => {
    expect(canTransition('early_advice', 'early_advice')).toBe(true);
    expect(canTransition('early_advice_given', 'early_advice')).toBe(true);
    expect(canTransition('nfa_police', 'investigation')).toBe(true);
    expect(canTransition('nfa_cps', 'charging_decision')).toBe(true);
    expect(canTransition('charged', 'charged')).toBe(false);
    expect(canTransition('acquitted', 'charged')).toBe(false);
  });
});
