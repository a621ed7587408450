import { chance, int, pick, type Rng } from './random.ts';

/**
 * Rough relative volume of RASSO reports per force (close to resident population, with the Met largest and the City
 * of London tiny). Forces missing here (added later as reference data) get weight 1.
 */
export const FORCE_WEIGHTS: Readonly<Record<string, number>> = {
  'metropolitan-police': 9.0, 'greater-manchester': 2.9, 'west-midlands': 2.9, 'west-yorkshire': 2.4,
  'thames-valley': 2.4, 'hampshire-and-isle-of-wight': 2.0, 'kent': 1.9, 'essex': 1.9, 'avon-and-somerset': 1.8,
  'devon-and-cornwall': 1.8, 'sussex': 1.7, 'lancashire': 1.5, 'northumbria': 1.5, 'merseyside': 1.4,
  'south-yorkshire': 1.4, 'south-wales': 1.35, 'west-mercia': 1.3, 'hertfordshire': 1.2, 'surrey': 1.2,
  'nottinghamshire': 1.15, 'leicestershire': 1.1, 'staffordshire': 1.1, 'cheshire': 1.05, 'derbyshire': 1.05,
  'humberside': 0.95, 'norfolk': 0.92, 'cambridgeshire': 0.88, 'north-yorkshire': 0.83, 'dorset': 0.78,
  'lincolnshire': 0.77, 'northamptonshire': 0.77, 'suffolk': 0.76, 'wiltshire': 0.72, 'bedfordshire': 0.7,
  'north-wales': 0.7, 'durham': 0.65, 'gloucestershire': 0.65, 'gwent': 0.6, 'warwickshire': 0.6,
  'cleveland': 0.57, 'dyfed-powys': 0.52, 'cumbria': 0.5, 'city-of-london': 0.03,
};

/** Towns in each force area with their postcode area, so addresses are local to the recording force. */
const TOWNS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  'avon-and-somerset': [['Bristol', 'BS'], ['Bath', 'BA'], ['Taunton', 'TA'], ['Weston-super-Mare', 'BS'], ['Yeovil', 'BA']],
  'bedfordshire': [['Luton', 'LU'], ['Bedford', 'MK'], ['Dunstable', 'LU']],
  'cambridgeshire': [['Cambridge', 'CB'], ['Peterborough', 'PE'], ['Huntingdon', 'PE'], ['Ely', 'CB']],
  'cheshire': [['Chester', 'CH'], ['Crewe', 'CW'], ['Warrington', 'WA'], ['Macclesfield', 'SK']],
  'city-of-london': [['London', 'EC']],
  'cleveland': [['Middlesbrough', 'TS'], ['Hartlepool', 'TS'], ['Stockton-on-Tees', 'TS'], ['Redcar', 'TS']],
  'cumbria': [['Carlisle', 'CA'], ['Barrow-in-Furness', 'LA'], ['Kendal', 'LA'], ['Workington', 'CA']],
  'derbyshire': [['Derby', 'DE'], ['Chesterfield', 'S'], ['Ilkeston', 'DE'], ['Buxton', 'SK']],
  'devon-and-cornwall': [['Exeter', 'EX'], ['Plymouth', 'PL'], ['Torquay', 'TQ'], ['Truro', 'TR'], ['Barnstaple', 'EX']],
  'dorset': [['Bournemouth', 'BH'], ['Poole', 'BH'], ['Dorchester', 'DT'], ['Weymouth', 'DT']],
  'durham': [['Durham', 'DH'], ['Darlington', 'DL'], ['Chester-le-Street', 'DH'], ['Consett', 'DH']],
  'dyfed-powys': [['Carmarthen', 'SA'], ['Aberystwyth', 'SY'], ['Llanelli', 'SA'], ['Haverfordwest', 'SA'], ['Newtown', 'SY']],
  'essex': [['Chelmsford', 'CM'], ['Colchester', 'CO'], ['Southend-on-Sea', 'SS'], ['Basildon', 'SS'], ['Harlow', 'CM']],
  'gloucestershire': [['Gloucester', 'GL'], ['Cheltenham', 'GL'], ['Stroud', 'GL']],
  'greater-manchester': [['Manchester', 'M'], ['Bolton', 'BL'], ['Oldham', 'OL'], ['Stockport', 'SK'], ['Wigan', 'WN'], ['Salford', 'M'], ['Rochdale', 'OL']],
  'gwent': [['Newport', 'NP'], ['Cwmbran', 'NP'], ['Ebbw Vale', 'NP'], ['Abergavenny', 'NP']],
  'hampshire-and-isle-of-wight': [['Southampton', 'SO'], ['Portsmouth', 'PO'], ['Basingstoke', 'RG'], ['Winchester', 'SO'], ['Newport, Isle of Wight', 'PO']],
  'hertfordshire': [['St Albans', 'AL'], ['Stevenage', 'SG'], ['Watford', 'WD'], ['Hemel Hempstead', 'HP'], ['Hertford', 'SG']],
  'humberside': [['Hull', 'HU'], ['Grimsby', 'DN'], ['Scunthorpe', 'DN'], ['Beverley', 'HU']],
  'kent': [['Maidstone', 'ME'], ['Canterbury', 'CT'], ['Tunbridge Wells', 'TN'], ['Dartford', 'DA'], ['Margate', 'CT'], ['Ashford', 'TN']],
  'lancashire': [['Preston', 'PR'], ['Blackburn', 'BB'], ['Blackpool', 'FY'], ['Lancaster', 'LA'], ['Burnley', 'BB']],
  'leicestershire': [['Leicester', 'LE'], ['Loughborough', 'LE'], ['Hinckley', 'LE'], ['Melton Mowbray', 'LE']],
  'lincolnshire': [['Lincoln', 'LN'], ['Boston', 'PE'], ['Grantham', 'NG'], ['Skegness', 'PE']],
  'merseyside': [['Liverpool', 'L'], ['Birkenhead', 'CH'], ['St Helens', 'WA'], ['Southport', 'PR']],
  'metropolitan-police': [['London', 'N'], ['London', 'E'], ['London', 'SE'], ['London', 'SW'], ['London', 'W'], ['London', 'NW'],
    ['Croydon', 'CR'], ['Bromley', 'BR'], ['Harrow', 'HA'], ['Ilford', 'IG'], ['Romford', 'RM'], ['Kingston upon Thames', 'KT']],
  'norfolk': [['Norwich', 'NR'], ['Great Yarmouth', 'NR'], ["King's Lynn", 'PE'], ['Thetford', 'IP']],
  'north-wales': [['Wrexham', 'LL'], ['Bangor', 'LL'], ['Rhyl', 'LL'], ['Colwyn Bay', 'LL']],
  'north-yorkshire': [['York', 'YO'], ['Harrogate', 'HG'], ['Scarborough', 'YO'], ['Northallerton', 'DL']],
  'northamptonshire': [['Northampton', 'NN'], ['Kettering', 'NN'], ['Corby', 'NN'], ['Wellingborough', 'NN']],
  'northumbria': [['Newcastle upon Tyne', 'NE'], ['Sunderland', 'SR'], ['Gateshead', 'NE'], ['South Shields', 'NE'], ['Morpeth', 'NE']],
  'nottinghamshire': [['Nottingham', 'NG'], ['Mansfield', 'NG'], ['Worksop', 'S'], ['Newark', 'NG']],
  'south-wales': [['Cardiff', 'CF'], ['Swansea', 'SA'], ['Bridgend', 'CF'], ['Merthyr Tydfil', 'CF'], ['Pontypridd', 'CF']],
  'south-yorkshire': [['Sheffield', 'S'], ['Doncaster', 'DN'], ['Rotherham', 'S'], ['Barnsley', 'S']],
  'staffordshire': [['Stoke-on-Trent', 'ST'], ['Stafford', 'ST'], ['Tamworth', 'B'], ['Burton upon Trent', 'DE']],
  'suffolk': [['Ipswich', 'IP'], ['Bury St Edmunds', 'IP'], ['Lowestoft', 'NR']],
  'surrey': [['Guildford', 'GU'], ['Woking', 'GU'], ['Redhill', 'RH'], ['Epsom', 'KT']],
  'sussex': [['Brighton', 'BN'], ['Crawley', 'RH'], ['Eastbourne', 'BN'], ['Worthing', 'BN'], ['Hastings', 'TN']],
  'thames-valley': [['Oxford', 'OX'], ['Reading', 'RG'], ['Milton Keynes', 'MK'], ['Slough', 'SL'], ['High Wycombe', 'HP'], ['Aylesbury', 'HP']],
  'warwickshire': [['Warwick', 'CV'], ['Nuneaton', 'CV'], ['Rugby', 'CV'], ['Leamington Spa', 'CV'], ['Stratford-upon-Avon', 'CV']],
  'west-mercia': [['Worcester', 'WR'], ['Hereford', 'HR'], ['Shrewsbury', 'SY'], ['Telford', 'TF'], ['Kidderminster', 'DY']],
  'west-midlands': [['Birmingham', 'B'], ['Coventry', 'CV'], ['Wolverhampton', 'WV'], ['Walsall', 'WS'], ['Dudley', 'DY'], ['Solihull', 'B']],
  'west-yorkshire': [['Leeds', 'LS'], ['Bradford', 'BD'], ['Huddersfield', 'HD'], ['Wakefield', 'WF'], ['Halifax', 'HX']],
  'wiltshire': [['Swindon', 'SN'], ['Salisbury', 'SP'], ['Chippenham', 'SN'], ['Trowbridge', 'BA']],
};
const FALLBACK_TOWNS: readonly (readonly [string, string])[] = [['Birmingham', 'B'], ['Leeds', 'LS'], ['Bristol', 'BS']];

const STREETS = [
  'High Street', 'Station Road', 'Church Lane', 'Main Street', 'Park Road', 'Victoria Road', 'Green Lane', 'Manor Road',
  'Church Street', 'Mill Lane', 'Queens Road', 'New Road', 'Grange Road', 'Kings Road', 'School Lane', 'The Crescent',
  'Albert Road', 'Chapel Street', 'Springfield Road', 'York Road', 'North Street', 'Windsor Road', 'Broadway',
  'Highfield Road', 'Stanley Road', 'Alexandra Road', 'Orchard Close', 'Meadow Way', 'Elm Grove', 'Oak Avenue',
  'Beech Drive', 'Willow Close', 'Cedar Court', 'Rosebery Avenue', 'Hawthorn Road', 'Riverside Walk', 'Castle Street',
  'Market Street', 'Westfield Road', 'Moorland View',
] as const;

// Inward-code letters never use C, I, K, M, O or V.
const INWARD_LETTERS = [...'ABDEFGHJLNPQRSTUWXYZ'];
// Registration letters exclude I, Q and Z.
const REG_LETTERS = [...'ABCDEFGHJKLMNOPRSTUVWXY'];

export function townsFor(forceId: string): readonly (readonly [string, string])[] {
  return TOWNS[forceId] ?? FALLBACK_TOWNS;
}

export function ukPostcode(rng: Rng, area: string): string {
  const district = area === 'EC' ? `${int(rng, 1, 4)}${pick(rng, ['A', 'M', 'N', 'R', 'V', 'Y'])}` : String(int(rng, 1, area.length === 1 ? 28 : 20));
  return `${area}${district} ${int(rng, 0, 9)}${pick(rng, INWARD_LETTERS)}${pick(rng, INWARD_LETTERS)}`;
}

/** A one-line UK address in one of the force's towns, e.g. "Flat 2, 14 Mill Lane, Leeds LS6 3QT". */
export function ukAddress(rng: Rng, forceId: string): string {
  const [town, area] = pick(rng, townsFor(forceId));
  const flat = chance(rng, 0.2) ? `Flat ${int(rng, 1, 24)}, ` : '';
  return `${flat}${int(rng, 1, 180)} ${pick(rng, STREETS)}, ${town} ${ukPostcode(rng, area)}`;
}

/** UK mobile in the usual written form, e.g. "07700 900123". */
export function ukMobile(rng: Rng): string {
  return `07${int(rng, 3, 9)}${String(int(rng, 0, 99)).padStart(2, '0')} ${String(int(rng, 0, 999_999)).padStart(6, '0')}`;
}

/** Current-style GB registration (2001 onwards), e.g. "AB12 CDE": area letters, age identifier, random letters. */
export function ukVehicleReg(rng: Rng): string {
  const year = int(rng, 2, 25);
  const age = chance(rng, 0.5) ? year : year + 50;
  const letters = (n: number) => Array.from({ length: n }, () => pick(rng, REG_LETTERS)).join('');
  return `${letters(2)}${String(age).padStart(2, '0')} ${letters(3)}`;
}

// RFC 2606 reserved domains: synthetic addresses can never reach a real mailbox.
const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net'] as const;

export function emailFor(rng: Rng, given: string, family: string): string {
  const clean = (s: string) => s.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '');
  const g = clean(given);
  const f = clean(family);
  const local = pick(rng, [`${g}.${f}`, `${g}${f}${int(rng, 1, 99)}`, `${g.charAt(0)}${f}`, `${g}_${int(rng, 70, 2009)}`, `${f}${g.charAt(0)}${int(rng, 1, 999)}`]);
  return `${local}@${pick(rng, EMAIL_DOMAINS)}`;
}

const PLATFORMS = ['snapchat', 'instagram', 'tiktok', 'facebook', 'x', 'tinder', 'hinge', 'grindr'] as const;

export function onlineIdentifier(rng: Rng, given: string, family: string): string {
  const clean = (s: string) => s.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '');
  const g = clean(given);
  const f = clean(family);
  const handle = pick(rng, [`${g}${f.slice(0, 3)}${int(rng, 1, 99)}`, `${g}_${f}`, `${g}.${int(rng, 80, 2009)}`, `the_real_${g}${int(rng, 1, 9)}`, `${f}${g.charAt(0)}x`, `${g}${pick(rng, ['gz', 'dn', 'uk', 'zz', 'xo'])}${int(rng, 1, 999)}`]);
  return `${pick(rng, PLATFORMS)}:${handle}`;
}
