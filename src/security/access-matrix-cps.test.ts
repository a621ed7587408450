import { CPS_ROLES } from '../platform/principal.ts';
import { accessMatrix } from './access-matrix.ts';

accessMatrix('CPS roles', CPS_ROLES);
