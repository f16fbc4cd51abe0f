// A fixture file the size of a benchmark world, for the bulk-load scenario: one EMU enterprise, its
// organizations, users (each a member of one organization) and their credentials — every tenth an
// SSH key, the rest tokens of every type given in the file — each authorized for consecutive
// organizations. Written as a stream, so generating a million authorizations needs no large string.
// The same rows are also what the COPY baseline loads (copyRows), so both runs load equal worlds.

import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { factsOf } from "../src/domain/credential-types.ts";
import { AUDIT_ACTIONS } from "../src/domain/revocation.ts";
import { checksum, hashToken, lastEight, sshFingerprint } from "../src/domain/tokens.ts";
import { TYPE_BY_LAST_DIGIT, type WorldSize } from "./world.ts";

export const LOAD_ENTERPRISE = "load";

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** Deterministic, well-formed tokens: the credential's number as the random part, a valid checksum. */
function tokenOf(type: string, g: number): string {
  if (type === "fine_grained_pat") {
    const id = pad(g, 22);
    const secret = "F".repeat(53);
    return `github_pat_${id}_${secret}${checksum(id + secret)}`;
  }
  const random = pad(g, 30);
  const prefix = { classic_pat: "ghp_", oauth_app_token: "gho_", github_app_token: "ghu_" }[type]!;
  return `${prefix}${random}${checksum(random)}`;
}

/** A syntactically valid ed25519 public key, distinct per credential. */
function sshKeyOf(g: number): string {
  const name = Buffer.from("ssh-ed25519");
  const key = Buffer.alloc(32);
  key.writeUInt32BE(g, 0);
  const blob = Buffer.concat([Buffer.from([0, 0, 0, name.length]), name, Buffer.from([0, 0, 0, 32]), key]);
  return `ssh-ed25519 ${blob.toString("base64")} load-${g}`;
}

export interface LoadCredential {
  g: number;
  user: number;
  type: (typeof TYPE_BY_LAST_DIGIT)[number];
  token: string | null;
  key: string | null;
  orgs: number[];
}

/** Credential g (1-based) of a world of this size: its owner, type, secret and organizations. */
export function credentialOf(size: WorldSize, g: number): LoadCredential {
  const type = TYPE_BY_LAST_DIGIT[g % 10]!;
  const perCredential = Math.round(size.authorizations / size.credentials);
  const orgs = Array.from({ length: perCredential }, (_, k) => ((g + k) % size.organizations) + 1);
  return {
    g,
    user: ((g - 1) % size.users) + 1,
    type,
    token: type === "ssh_key" ? null : tokenOf(type, g),
    key: type === "ssh_key" ? sshKeyOf(g) : null,
    orgs,
  };
}

const orgLogin = (o: number) => `load-org-${o}`;
const userLogin = (u: number) => `load_user_${u}`;

/** Writes the world as a JSON fixture to `path`. */
export async function writeFixtureFile(path: string, size: WorldSize): Promise<void> {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, "drain");
  };
  await write(
    `{"enterprises":[{"slug":"${LOAD_ENTERPRISE}","name":"Load Inc.","emu":true,"owners":["${userLogin(1)}"],`,
  );
  await write(`"organizations":[`);
  for (let o = 1; o <= size.organizations; o++) {
    const members: string[] = [];
    for (let u = o; u <= size.users; u += size.organizations) members.push(`"${userLogin(u)}"`);
    await write(`${o > 1 ? "," : ""}{"login":"${orgLogin(o)}","members":[${members.join(",")}]}`);
  }
  await write(`]}],\n"users":[`);
  const byUser = new Map<number, number[]>();
  for (let g = 1; g <= size.credentials; g++) {
    const user = ((g - 1) % size.users) + 1;
    const list = byUser.get(user) ?? [];
    list.push(g);
    byUser.set(user, list);
  }
  for (let u = 1; u <= size.users; u++) {
    const credentials = (byUser.get(u) ?? []).map((g) => {
      const c = credentialOf(size, g);
      const orgs = c.orgs.map((o) => `"${orgLogin(o)}"`).join(",");
      return c.key !== null
        ? `{"type":"ssh_key","key":"${c.key}","title":"key ${g}","authorized_orgs":[${orgs}]}`
        : `{"type":"${c.type}","token":"${c.token}","note":"load ${g}","authorized_orgs":[${orgs}]}`;
    });
    await write(`${u > 1 ? ",\n" : "\n"}{"login":"${userLogin(u)}","credentials":[${credentials.join(",")}]}`);
  }
  await write("]}\n");
  out.end();
  await once(out, "finish");
}

/** The world's rows as COPY text (tab-separated, \N for null), table by table, in load order. */
export function* copyRows(size: WorldSize): Generator<{ table: string; columns: string; line: string }> {
  yield { table: "enterprises", columns: "id, slug, name, emu", line: `1\t${LOAD_ENTERPRISE}\tLoad Inc.\tt` };
  for (let u = 1; u <= size.users; u++)
    yield { table: "users", columns: "id, login, managed_by_enterprise_id", line: `${u}\t${userLogin(u)}\t1` };
  yield { table: "enterprise_roles", columns: "enterprise_id, user_id, role", line: "1\t1\towner" };
  for (let o = 1; o <= size.organizations; o++)
    yield { table: "organizations", columns: "id, login, enterprise_id, saml_sso", line: `${o}\t${orgLogin(o)}\t1\tt` };
  for (let o = 1; o <= size.organizations; o++) {
    for (let u = o; u <= size.users; u += size.organizations)
      yield { table: "organization_roles", columns: "organization_id, user_id, role", line: `${o}\t${u}\tmember` };
  }
  const credentialColumns =
    "id, user_id, type, token_hash, token_last_eight, title, note, fixture_key, public_key, fingerprint";
  for (let g = 1; g <= size.credentials; g++) {
    const c = credentialOf(size, g);
    const line =
      c.key !== null
        ? `${g}\t${c.user}\tssh_key\t\\N\t\\N\tkey ${g}\t\\N\t\\N\t${c.key}\t${sshFingerprint(c.key)}`
        : `${g}\t${c.user}\t${c.type}\t\\\\x${hashToken(c.token!).toString("hex")}\t${lastEight(c.token!)}\t\\N\tload ${g}\t\\N\t\\N\t\\N`;
    yield { table: "credentials", columns: credentialColumns, line };
  }
  let a = 0;
  for (let g = 1; g <= size.credentials; g++) {
    for (const o of credentialOf(size, g).orgs) {
      a++;
      yield {
        table: "credential_authorizations",
        columns: "id, credential_id, organization_id",
        line: `${a}\t${g}\t${o}`,
      };
    }
  }
  // The grants' audit events, with the data credauth records (store/audit.ts), nulls left out.
  const eventColumns =
    "action, actor_id, actor_login, user_id, user_login, organization_id, org_login, enterprise_id, business_slug, subject_id, data";
  a = 0;
  for (let g = 1; g <= size.credentials; g++) {
    const c = credentialOf(size, g);
    const facts = factsOf(c.type);
    const credential =
      c.key !== null
        ? { fingerprint: sshFingerprint(c.key), title: `key ${g}` }
        : {
            token_last_eight: lastEight(c.token!),
            hashed_token: hashToken(c.token!).toString("base64"),
            ...(facts.limitedBy === "scopes" ? { token_scopes: "" } : {}),
          };
    for (const o of c.orgs) {
      a++;
      const data = JSON.stringify({
        credential_id: g,
        token_id: g,
        credential_type: c.type,
        programmatic_access_type: facts.auditLabel,
        ...credential,
        authorization_id: a,
      });
      const login = userLogin(c.user);
      yield {
        table: "audit_events",
        columns: eventColumns,
        line: `${AUDIT_ACTIONS.authorizationGranted}\t${c.user}\t${login}\t${c.user}\t${login}\t${o}\t${orgLogin(o)}\t1\t${LOAD_ENTERPRISE}\t${a}\t${data}`,
      };
    }
  }
}
