/** Small deterministic person fixtures for the linkage tests (not used in production code). */
import { mulberry32 } from './random.ts';
import type { PersonRecord } from './types.ts';

const GIVEN = ['James', 'Robert', 'John', 'Michael', 'David', 'William', 'Thomas', 'Sarah', 'Emma', 'Laura', 'Rebecca', 'Olivia', 'Amelia', 'Daniel', 'Paul', 'Mark', 'Peter', 'Susan', 'Karen', 'Helen'];
const FAMILY = ['Smith', 'Smith', 'Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Roberts', 'Quixote', 'Okonkwo', 'Featherstonehaugh', 'Abernathy', 'Lindqvist', 'Marchetti', 'Przybylski', 'Oyelaran'];
const NICK: Record<string, string> = { James: 'Jim', Robert: 'Bob', Michael: 'Mike', William: 'Bill', Thomas: 'Tom', Daniel: 'Dan', Peter: 'Pete' };

export interface Fixture {
  records: PersonRecord[];
  truth: number[];
}

/** `persons` people, each recorded 1–3 times with typos, nicknames, swaps and dob slips. */
export function personFixture(persons = 150, seed = 3): Fixture {
  const rng = mulberry32(seed);
  const pick = <T>(a: readonly T[]) => a[Math.floor(rng() * a.length)]!;
  const records: PersonRecord[] = [];
  const truth: number[] = [];
  for (let p = 0; p < persons; p++) {
    const given = pick(GIVEN);
    const family = pick(FAMILY);
    const y = 1950 + Math.floor(rng() * 50);
    const m = 1 + Math.floor(rng() * 12);
    const d = 1 + Math.floor(rng() * 28);
    const pc = `LS${1 + Math.floor(rng() * 20)} ${Math.floor(rng() * 9)}${'ABDEFG'[Math.floor(rng() * 6)]}${'HJLNPQ'[Math.floor(rng() * 6)]}`;
    const phone = `07${String(Math.floor(rng() * 1e9)).padStart(9, '0')}`;
    const copies = rng() < 0.5 ? 1 : rng() < 0.7 ? 2 : 3;
    for (let c = 0; c < copies; c++) {
      let g = given;
      let f = family;
      let dob = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
      if (c > 0) {
        const e = rng();
        if (e < 0.2 && NICK[g]) g = NICK[g]!;
        else if (e < 0.35) f = f.slice(0, 2) + f.slice(3);
        else if (e < 0.45) [g, f] = [f, g];
        else if (e < 0.55 && d <= 12) dob = `${y}-${String(d).padStart(2, '0')}-${String(m).padStart(2, '0')}`;
        else if (e < 0.65) dob = `${y + 1}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
      }
      records.push({ id: `P${p}-${c}`, givenName: g, familyName: f, dob, postcode: rng() < 0.7 ? pc : null, phone: rng() < 0.4 ? phone : null });
      truth.push(p);
    }
  }
  return { records, truth };
}
