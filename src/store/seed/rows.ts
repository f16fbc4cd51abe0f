// What the parts of a load share: its report, the rows it has read back, and statements a few
// thousand rows each.
import type { CredentialType } from "../../domain/model.ts";

export interface CreatedCredential {
  id: number;
  login: string;
  type: CredentialType;
  note: string | null;
  /** Only for tokens credauth generated: shown once to whoever loaded the fixture, never stored. */
  token?: string;
}

/** An App the load made or met, with the secrets credauth generated for it (told once, never stored). */
export interface LoadedApp {
  slug: string;
  id: number;
  clientId: string;
  clientSecret?: string;
  privateKey?: string;
  installations: { account: string; id: number }[];
}

export interface SeedReport {
  created: {
    enterprises: number;
    organizations: number;
    users: number;
    credentials: number;
    authorizations: number;
    apps: number;
  };
  credentials: CreatedCredential[];
  apps: LoadedApp[];
}

/** Rows per multi-row statement: large enough to amortise a round trip, small enough for one message. */
export const ROWS_PER_STATEMENT = 5_000;

export type Path = (string | number)[];

export function chunks<T>(rows: T[]): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) result.push(rows.slice(i, i + ROWS_PER_STATEMENT));
  return result;
}

/** The columns of `rows`, as the arrays an `unnest($1::…[], $2::…[])` takes. */
export function columns<T extends unknown[]>(rows: T[]): unknown[][] {
  const width = rows[0]?.length ?? 0;
  return Array.from({ length: width }, (_, i) => rows.map((row) => row[i]));
}

/** Refuses the load at a path of the fixture (with its line). */
export type Fail = (path: Path, problem: string) => never;

export interface EnterpriseRow {
  id: number;
  slug: string;
  emu: boolean;
  first_owner_id: number | null;
}

export interface UserRow {
  id: number;
  login: string;
  managed_by_enterprise_id: number | null;
}

export interface OrganizationRow {
  id: number;
  login: string;
  enterprise_id: number;
}
