import { POLICE_ROLES } from '../platform/principal.ts';
import { accessMatrix } from './access-matrix.ts';

// The matrix runs in three files (police, CPS, everyone else) so Vitest can spread it over its workers.
accessMatrix('police roles', POLICE_ROLES);
