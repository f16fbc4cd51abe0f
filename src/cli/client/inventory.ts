// `credauth inventory --org O [--user U]`: an organization's SSO-authorized credentials, every page,
// as GitHub lists them: a table on a terminal, JSON or CSV for a script.
import type { ClientSession } from "./api.ts";
import type { Output } from "./output.ts";

export interface InventoryOptions {
  org: string;
  user?: string;
  json?: boolean;
  csv?: boolean;
}

interface Authorization {
  login: string;
  credential_id: number;
  credential_type: string;
  token_last_eight?: string;
  fingerprint?: string;
  scopes?: string[];
  credential_authorized_at: string;
  credential_accessed_at: string | null;
  authorized_credential_id: number | null;
  authorized_credential_title?: string | null;
  authorized_credential_note?: string | null;
  authorized_credential_expires_at?: string | null;
}

const COLUMNS = ["LOGIN", "TYPE", "LAST EIGHT / FINGERPRINT", "SCOPES", "AUTHORIZED", "LAST ACCESSED", "ID", "NOTE"];

export async function inventory(session: ClientSession, out: Output, options: InventoryOptions): Promise<number> {
  const rows = (await session.octokit.paginate("GET /orgs/{org}/credential-authorizations", {
    org: options.org,
    per_page: 100,
    ...(options.user ? { login: options.user } : {}),
  })) as Authorization[];
  if (options.csv) {
    out.csv(
      [
        "login",
        "credential_type",
        "token_last_eight",
        "fingerprint",
        "scopes",
        "credential_authorized_at",
        "credential_accessed_at",
        "credential_id",
        "authorized_credential_id",
        "note",
      ],
      rows.map((a) => [
        a.login,
        a.credential_type,
        a.token_last_eight ?? null,
        a.fingerprint ?? null,
        (a.scopes ?? []).join(" "),
        a.credential_authorized_at,
        a.credential_accessed_at,
        a.credential_id,
        a.authorized_credential_id,
        a.authorized_credential_note ?? a.authorized_credential_title ?? null,
      ]),
    );
    return 0;
  }
  if (options.json || !out.terminal) {
    out.json(rows);
    return 0;
  }
  if (rows.length === 0) {
    out.line(`No live SSO authorizations in ${options.org}${options.user ? ` for ${options.user}` : ""}.`);
    return 0;
  }
  out.table(
    COLUMNS,
    rows.map((a) => [
      a.login,
      a.credential_type,
      a.token_last_eight ?? a.fingerprint ?? "",
      (a.scopes ?? []).join(" "),
      a.credential_authorized_at,
      a.credential_accessed_at ?? "never",
      a.credential_id,
      a.authorized_credential_note ?? a.authorized_credential_title ?? "",
    ]),
  );
  return 0;
}
