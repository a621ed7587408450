/**
 * Common English given-name variants and nicknames (UK usage), grouped under a canonical form.
 * A name may belong to several groups (e.g. "chris": christopher, christian, christine).
 * Reference data: extend freely; comparisons treat two names as nickname-equivalent when they share a group.
 */
const GROUPS: Record<string, string> = {
  abigail: 'abi abbie abby gail',
  adam: 'ade',
  albert: 'al bert bertie',
  alexander: 'alex alec alastair alistair alasdair sandy xander',
  alexandra: 'alex alexa lexi sandra sandy',
  alfred: 'alf alfie fred freddie',
  alan: 'allan allen al',
  andrew: 'andy drew',
  angela: 'angie',
  anthony: 'tony antony ant',
  arthur: 'art artie',
  barbara: 'barb babs',
  benjamin: 'ben benny benji',
  bernard: 'bernie',
  bradley: 'brad',
  catherine: 'cath cathy kate katie kath kathy katherine kathryn cathryn kay kit',
  charles: 'charlie chas chuck chaz',
  charlotte: 'lottie charlie lotte',
  christopher: 'chris kristopher kit topher',
  christian: 'chris',
  christine: 'chris christina kristina tina chrissie',
  clifford: 'cliff',
  daniel: 'dan danny',
  david: 'dave davey davy',
  deborah: 'debbie deb debra',
  dennis: 'den denis',
  dominic: 'dom',
  donald: 'don donny',
  dorothy: 'dot dottie dolly',
  douglas: 'doug',
  edward: 'ed eddie ted teddy ned',
  edwin: 'ed eddie',
  eleanor: 'ellie nell nellie elle',
  elizabeth: 'liz lizzie beth betty bess bessie eliza elsie libby lisa liza',
  ellen: 'ellie nell',
  emily: 'em emmy millie',
  emma: 'em emmy',
  eugene: 'gene',
  florence: 'flo florrie',
  frances: 'fran fanny frankie',
  francis: 'frank frankie fran',
  frederick: 'fred freddie freddy',
  gabriel: 'gabe',
  gabriella: 'gabby gabi gabrielle',
  geoffrey: 'geoff jeff jeffrey',
  george: 'georgie',
  gerald: 'gerry jerry ged',
  gregory: 'greg',
  harold: 'harry hal',
  harriet: 'hattie',
  henry: 'harry hal hank',
  herbert: 'herb bert',
  isabel: 'isabelle isabella izzy bella issy',
  jacob: 'jake',
  james: 'jim jimmy jamie jem',
  jane: 'janie jenny',
  janet: 'jan',
  jennifer: 'jen jenny jenn',
  jessica: 'jess jessie',
  joanna: 'jo joanne',
  john: 'jon jack johnny jonny',
  jonathan: 'jon jonny nathan',
  joseph: 'joe joey jo',
  josephine: 'jo josie',
  joshua: 'josh',
  judith: 'judy jude',
  kenneth: 'ken kenny',
  kimberley: 'kim kimberly',
  lawrence: 'larry laurie laurence',
  leonard: 'len lenny leo',
  leslie: 'les lesley',
  lewis: 'lew louis',
  louise: 'lou louisa',
  margaret: 'maggie meg peggy maisie madge marge margie rita greta',
  matthew: 'matt matty',
  michael: 'mike mick micky mickey mikey mich',
  nathaniel: 'nat nate nathan',
  nicholas: 'nick nicky nico',
  nicola: 'nicky nikki nicole',
  oliver: 'ollie olly',
  pamela: 'pam',
  patricia: 'pat patty trish tricia',
  patrick: 'pat paddy',
  peter: 'pete',
  philip: 'phil phillip pip',
  rachel: 'rach',
  raymond: 'ray',
  rebecca: 'becky becca bex',
  richard: 'rich richie rick ricky dick',
  robert: 'rob robbie bob bobby bert rab',
  rodney: 'rod',
  roger: 'rog',
  ronald: 'ron ronnie',
  rosemary: 'rose rosie',
  russell: 'russ',
  samantha: 'sam sammy',
  samuel: 'sam sammy',
  sarah: 'sara sally sadie',
  sebastian: 'seb',
  stanley: 'stan',
  stephen: 'steve steven stevie',
  susan: 'sue susie suzanne',
  terence: 'terry terrence',
  theodore: 'theo ted teddy',
  thomas: 'tom tommy',
  timothy: 'tim timmy',
  victoria: 'vicky vicki tori',
  vincent: 'vince vinny',
  walter: 'walt wally',
  william: 'will bill billy willie liam',
  zachary: 'zach zack',
};

const nameToGroups = new Map<string, number[]>();
const canonicals: string[] = [];
for (const [canonical, variants] of Object.entries(GROUPS)) {
  const id = canonicals.length;
  canonicals.push(canonical);
  for (const name of [canonical, ...variants.split(' ')]) {
    const list = nameToGroups.get(name);
    if (list) list.push(id);
    else nameToGroups.set(name, [id]);
  }
}

const NONE: readonly number[] = Object.freeze([]);

/** Group ids a (normalised, single-token) given name belongs to; empty when unknown. */
export function nicknameGroups(name: string): readonly number[] {
  return nameToGroups.get(name) ?? NONE;
}

/** Canonical forms for a name (e.g. "bob" → ["robert"]); the name itself when it belongs to no group. */
export function canonicalGivenNames(name: string): string[] {
  const groups = nameToGroups.get(name);
  return groups ? groups.map((g) => canonicals[g]!) : [name];
}

export function shareNicknameGroup(a: readonly number[], b: readonly number[]): boolean {
  if (!a.length || !b.length) return false;
  for (const g of a) if (b.includes(g)) return true;
  return false;
}
