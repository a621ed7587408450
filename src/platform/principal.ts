export const ROLES = [
  'investigator',
  'police_supervisor',
  'prosecutor',
  'district_crown_prosecutor',
  'paralegal',
  'vlo',
  'isva',
  'panel_member',
  'analyst',
  'national_lead',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  investigator: 'Investigator',
  police_supervisor: 'Police supervisor',
  prosecutor: 'RASSO prosecutor',
  district_crown_prosecutor: 'District Crown Prosecutor',
  paralegal: 'Paralegal',
  vlo: 'Victim Liaison Officer',
  isva: 'ISVA',
  panel_member: 'Scrutiny panel member',
  analyst: 'Performance analyst',
  national_lead: 'National lead',
  admin: 'Administrator',
};

export type OrganisationKind = 'force' | 'rasso_unit' | 'cps_direct' | 'isva_service' | 'panel' | 'national' | 'forensic_provider';

/** Who is asking: every request after sign-in has one. */
export interface Principal {
  userId: string;
  username: string;
  displayName: string;
  organisation: {
    id: string;
    kind: OrganisationKind;
    name: string;
    /** For a police force organisation. */
    forceId: string | null;
    /** For a CPS RASSO unit. */
    cpsAreaId: string | null;
  };
  roles: Role[];
}

export const POLICE_ROLES: readonly Role[] = ['investigator', 'police_supervisor'];
export const CPS_ROLES: readonly Role[] = ['prosecutor', 'district_crown_prosecutor', 'paralegal', 'vlo'];
