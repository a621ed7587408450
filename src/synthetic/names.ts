import { chance, int, pick, pickSkewed, type Rng } from './random.ts';

// Name lists ordered roughly by frequency in England & Wales (faker's en_GB locale falls back to US names), with
// South Asian, Eastern European, African and Arabic names so linkage is tested beyond Anglo spellings.
export const MALE_GIVEN = [
  'James', 'David', 'John', 'Michael', 'Daniel', 'Thomas', 'Christopher', 'Matthew', 'Robert', 'Paul', 'Mark',
  'Andrew', 'Richard', 'Anthony', 'Steven', 'William', 'Joseph', 'Ryan', 'Lee', 'Adam', 'Jamie', 'Ben', 'Jack',
  'Liam', 'Connor', 'Kieran', 'Nathan', 'Jordan', 'Lewis', 'Callum', 'Craig', 'Darren', 'Gary', 'Stuart', 'Scott',
  'Wayne', 'Dean', 'Carl', 'Shaun', 'Jason', 'Kevin', 'Peter', 'Simon', 'Stephen', 'Alexander', 'Samuel', 'Benjamin',
  'Oliver', 'Harry', 'George', 'Charlie', 'Luke', 'Aaron', 'Reece', 'Kyle', 'Bradley', 'Ashley', 'Jonathan',
  'Nicholas', 'Edward', 'Mohammed', 'Muhammad', 'Ali', 'Imran', 'Tariq', 'Bilal', 'Hassan', 'Omar', 'Kamran',
  'Arjun', 'Rajesh', 'Sanjay', 'Piotr', 'Tomasz', 'Marcin', 'Andrei', 'Ionut', 'Kwame', 'Tunde', 'Emeka', 'Darius',
  'Yusuf', 'Ahmed', 'Abdul', 'Rhys', 'Gareth', 'Dylan', 'Owain', 'Aled', 'Declan', 'Sean', 'Patrick',
] as const;

export const FEMALE_GIVEN = [
  'Sarah', 'Emma', 'Laura', 'Rebecca', 'Jessica', 'Hannah', 'Charlotte', 'Amy', 'Sophie', 'Lauren', 'Emily',
  'Chloe', 'Katie', 'Rachel', 'Lucy', 'Gemma', 'Stephanie', 'Jade', 'Danielle', 'Kirsty', 'Nicola', 'Natalie',
  'Samantha', 'Amber', 'Megan', 'Olivia', 'Ellie', 'Holly', 'Georgia', 'Bethany', 'Abigail', 'Leah', 'Shannon',
  'Zoe', 'Jennifer', 'Michelle', 'Claire', 'Lisa', 'Kelly', 'Louise', 'Victoria', 'Helen', 'Joanne', 'Karen',
  'Amelia', 'Isla', 'Grace', 'Freya', 'Ruby', 'Mia', 'Evie', 'Poppy', 'Millie', 'Maisie', 'Aisha', 'Fatima',
  'Zainab', 'Amina', 'Priya', 'Anjali', 'Sana', 'Agnieszka', 'Katarzyna', 'Ioana', 'Chiamaka', 'Abena', 'Ngozi',
  'Siobhan', 'Ffion', 'Cerys', 'Carys', 'Niamh', 'Tia', 'Kayleigh', 'Paige', 'Courtney', 'Demi',
] as const;

export const FAMILY = [
  'Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Johnson', 'Roberts',
  'Robinson', 'Thompson', 'Wright', 'Walker', 'White', 'Edwards', 'Hughes', 'Green', 'Hall', 'Lewis', 'Harris',
  'Clarke', 'Patel', 'Jackson', 'Wood', 'Turner', 'Martin', 'Cooper', 'Hill', 'Ward', 'Morris', 'Moore', 'Clark',
  'Lee', 'King', 'Baker', 'Harrison', 'Morgan', 'Allen', 'James', 'Scott', 'Phillips', 'Watson', 'Davis', 'Parker',
  'Price', 'Bennett', 'Young', 'Griffiths', 'Mitchell', 'Kelly', 'Cook', 'Carter', 'Richardson', 'Bailey',
  'Collins', 'Bell', 'Shaw', 'Murphy', 'Miller', 'Cox', 'Richards', 'Khan', 'Marshall', 'Anderson', 'Simpson',
  'Ellis', 'Adams', 'Singh', 'Begum', 'Wilkinson', 'Foster', 'Chapman', 'Powell', 'Webb', 'Rogers', 'Gray', 'Mason',
  'Ali', 'Hunt', 'Hussain', 'Campbell', 'Matthews', 'Owen', 'Palmer', 'Holmes', 'Mills', 'Barnes', 'Knight',
  'Lloyd', 'Butler', 'Russell', 'Barker', 'Fisher', 'Stevens', 'Jenkins', 'Murray', 'Dixon', 'Harvey', 'Ahmed',
  'Shah', 'Iqbal', 'Mahmood', 'Rahman', 'Kowalski', 'Nowak', 'Wisniewski', 'Popescu', 'Ionescu', 'Okafor',
  'Adeyemi', 'Mensah', 'Osei', 'Hassan', 'Fitzgerald', 'McCarthy', 'MacDonald', 'Pritchard', 'Llewellyn',
  'Thornton', 'Fairbrother', 'Ashworth', 'Greenwood', 'Whitfield', 'Hargreaves', 'Sutcliffe', 'Pickering',
] as const;

/** Common pairs, most common first: several different people in a national data set share them, so naive name matching misfires. */
export const COMMON_FULL_NAMES: readonly (readonly [string, string])[] = [
  ['James', 'Smith'], ['David', 'Jones'], ['John', 'Williams'], ['Michael', 'Brown'], ['Daniel', 'Taylor'],
  ['Mohammed', 'Khan'], ['Thomas', 'Wilson'], ['Christopher', 'Evans'], ['Paul', 'Davies'], ['Ryan', 'Smith'],
];

/** Given name → short forms people actually give or are recorded under. */
export const NICKNAMES: Readonly<Record<string, readonly string[]>> = {
  Robert: ['Rob', 'Bob', 'Robbie', 'Bobby'], William: ['Bill', 'Will', 'Billy', 'Liam'], Michael: ['Mike', 'Mick', 'Micky'],
  Christopher: ['Chris', 'Kit'], James: ['Jim', 'Jimmy', 'Jamie'], David: ['Dave', 'Davy'], John: ['Johnny', 'Jack'],
  Daniel: ['Dan', 'Danny'], Thomas: ['Tom', 'Tommy'], Matthew: ['Matt'], Richard: ['Rich', 'Rick', 'Dick'],
  Anthony: ['Tony', 'Ant'], Steven: ['Steve', 'Stevie'], Stephen: ['Steve'], Joseph: ['Joe', 'Joey'],
  Benjamin: ['Ben', 'Benny'], Samuel: ['Sam', 'Sammy'], Alexander: ['Alex', 'Xander', 'Sandy'], Andrew: ['Andy', 'Drew'],
  Nicholas: ['Nick', 'Nicky'], Edward: ['Ed', 'Eddie', 'Ted'], Jonathan: ['Jon', 'Jonny'], Peter: ['Pete'],
  Charlie: ['Charles'], Harry: ['Henry'], Bradley: ['Brad'], Nathan: ['Nate'], Callum: ['Cal'], Kieran: ['Kie'],
  Patrick: ['Pat', 'Paddy'], Jordan: ['Jord'], Ashley: ['Ash'], Gareth: ['Gaz'], Gary: ['Gaz'], Darren: ['Daz'],
  Kevin: ['Kev'], Lewis: ['Lew'], Oliver: ['Ollie'], Simon: ['Si'], Abdul: ['Abdi'], Tomasz: ['Tomek', 'Tom'],
  Piotr: ['Peter'], Andrei: ['Andrew', 'Andy'], Rajesh: ['Raj'], Sanjay: ['Sanj'], Mohammed: ['Mo'], Muhammad: ['Mo'],
  Imran: ['Immy'], Sarah: ['Sally'], Rebecca: ['Becky', 'Becca'], Jessica: ['Jess'], Samantha: ['Sam'],
  Victoria: ['Vicky', 'Tori'], Jennifer: ['Jen', 'Jenny'], Stephanie: ['Steph'], Katie: ['Kate'], Abigail: ['Abi'],
  Natalie: ['Nat'], Charlotte: ['Charlie', 'Lottie'], Elizabeth: ['Liz', 'Beth'], Danielle: ['Dani'],
};

/** Different romanisations of one name, recorded inconsistently between forces. */
export const TRANSLITERATIONS: readonly (readonly string[])[] = [
  ['Mohammed', 'Muhammad', 'Mohamed', 'Mohammad', 'Muhammed'], ['Ahmed', 'Ahmad', 'Ahmet'], ['Hussain', 'Hussein', 'Husain'],
  ['Yusuf', 'Yousef', 'Yusef'], ['Hassan', 'Hasan'], ['Rahman', 'Rehman'], ['Mahmood', 'Mahmud', 'Mehmood'],
  ['Iqbal', 'Ikbal'], ['Abdul', 'Abdel'], ['Omar', 'Umar'], ['Kowalski', 'Kowalsky'], ['Wisniewski', 'Wisnewski'],
  ['Ionut', 'Ionuț'], ['Tunde', 'Babatunde'], ['Osei', 'Oseii'],
];

export function nicknameOf(given: string, rng: Rng): string | undefined {
  const options = NICKNAMES[given];
  return options ? pick(rng, options) : undefined;
}

export function transliterationOf(name: string, rng: Rng): string | undefined {
  const group = TRANSLITERATIONS.find((g) => g.includes(name));
  if (!group) return undefined;
  return pick(rng, group.filter((n) => n !== name));
}

/**
 * A keying error of the kind found in police records: two adjacent letters transposed, a letter dropped, or a letter
 * doubled. Always returns a different spelling for names of two or more letters; keeps the first letter's case.
 */
export function typoVariant(name: string, rng: Rng): string {
  if (name.length < 2) return name + name.toLowerCase();
  for (let attempt = 0; attempt < 8; attempt++) {
    const kind = int(rng, 0, 2);
    let out: string;
    if (kind === 0 && name.length >= 3) {
      // transpose two adjacent letters after the first, so the capital stays in front
      const i = int(rng, 1, name.length - 2);
      out = name.slice(0, i) + name.charAt(i + 1) + name.charAt(i) + name.slice(i + 2);
    } else if (kind === 1 && name.length >= 4) {
      const i = int(rng, 1, name.length - 1);
      out = name.slice(0, i) + name.slice(i + 1);
    } else {
      const i = int(rng, 1, name.length - 1);
      out = name.slice(0, i + 1) + name.charAt(i) + name.slice(i + 1);
    }
    if (out !== name) return out;
  }
  return name + name.charAt(name.length - 1);
}

export interface PersonName {
  given: string;
  family: string;
}

/** Draws a name: mostly from frequency-ordered lists, sometimes one of the deliberately common full names. */
export function drawName(rng: Rng, sex: 'male' | 'female', commonShare: number): PersonName {
  if (sex === 'male' && chance(rng, commonShare)) {
    const [given, family] = pickSkewed(rng, COMMON_FULL_NAMES, 1.5);
    return { given, family };
  }
  const givenList = sex === 'male' ? MALE_GIVEN : FEMALE_GIVEN;
  return {
    given: givenList[Math.floor(Math.pow(rng.float(), 1.5) * givenList.length)] as string,
    family: FAMILY[Math.floor(Math.pow(rng.float(), 1.6) * FAMILY.length)] as string,
  };
}
