// `credauth token create`: a credential for a user through the provisioning API (the site-admin
// token), its token printed once; credauth keeps only its hash.
import { ConfigError } from "../../config.ts";
import { isCredentialType } from "../../domain/credential-types.ts";
import type { ClientSession } from "./api.ts";
import type { Output } from "./output.ts";

export interface TokenCreateOptions {
  user: string;
  type: string;
  scopes?: string;
  permissions?: string;
  resourceOwner?: string;
  note?: string;
  expiresAt?: string;
  authorize?: string;
  json?: boolean;
}

/** `a,b` → ["a", "b"]; `name=level,…` → { name: level }. */
const list = (text: string | undefined) =>
  text
    ? text
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean)
    : [];
function permissionsOf(text: string | undefined): Record<string, string> {
  const entries = list(text).map((item) => {
    const [name, level] = item.split("=");
    if (!name || !level) throw new ConfigError(`--permissions takes name=level pairs, got ${JSON.stringify(item)}.`);
    return [name, level] as const;
  });
  return Object.fromEntries(entries);
}

export async function createToken(session: ClientSession, out: Output, options: TokenCreateOptions): Promise<number> {
  if (!isCredentialType(options.type))
    throw new ConfigError(`--type names a credential type, got ${JSON.stringify(options.type)}.`);
  const body = {
    type: options.type,
    ...(options.scopes !== undefined ? { scopes: list(options.scopes) } : {}),
    ...(options.permissions !== undefined ? { permissions: permissionsOf(options.permissions) } : {}),
    ...(options.resourceOwner ? { resource_owner: options.resourceOwner } : {}),
    ...(options.note ? { note: options.note } : {}),
    ...(options.expiresAt ? { expires_at: options.expiresAt } : {}),
    ...(options.authorize ? { authorized_orgs: list(options.authorize) } : {}),
  };
  const credential = (
    await session.octokit.request("POST /_credauth/admin/users/{login}/credentials", { login: options.user, ...body })
  ).data as { id: number; login: string; type: string; token?: string };
  if (options.json || !out.terminal) out.json(credential);
  else {
    out.line(`Created ${credential.type} ${credential.id} for ${credential.login}.`);
    if (credential.token) {
      out.line(out.bold(credential.token));
      out.note("This is the only time the token is shown: credauth keeps only its hash.");
    }
  }
  return 0;
}
