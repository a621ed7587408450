import { expect, it } from 'vitest';
import { CPS_ROLES, POLICE_ROLES, ROLES } from '../platform/principal.ts';
import { accessMatrix } from './access-matrix.ts';

const OTHERS = ROLES.filter((r) => !POLICE_ROLES.includes(r) && !CPS_ROLES.includes(r));

// ISVAs, panel members, analysts, national leads and administrators: no case relationship by role alone.
accessMatrix('ISVA, panel, national and admin roles', OTHERS);

it('the three parts of the matrix cover every role', () => {
  expect([...POLICE_ROLES, ...CPS_ROLES, ...OTHERS].sort()).toEqual([...ROLES].sort());
});
