// The webhooks of a fixture's enterprises and organizations, their secrets encrypted.
import type { FixtureWebhook, ParsedFixture } from "../../domain/fixture.ts";
import type { SecretBox } from "../../secrets.ts";
import type { Queryable } from "../db.ts";
import { chunks, columns, type EnterpriseRow, type Fail, type OrganizationRow, type Path } from "./rows.ts";

/**
 * Adds the webhooks of the fixture's enterprises and organizations that are not there yet (same
 * owner, same URL), their secrets encrypted. A webhook already there takes the secret declared now
 * (how a secret stored under a lost secrets key is recovered), and keeps its own if none is.
 */
export async function loadWebhooks(
  tx: Queryable,
  parsed: ParsedFixture,
  enterprises: Map<string, EnterpriseRow>,
  organizations: Map<string, OrganizationRow>,
  secrets: SecretBox | null,
  fail: Fail,
): Promise<void> {
  const rows: [enterpriseId: number | null, organizationId: number | null, url: string, secret: Buffer | null][] = [];
  const add = (webhooks: FixtureWebhook[] | undefined, owner: [number | null, number | null], at: Path) => {
    for (const [w, webhook] of (webhooks ?? []).entries()) {
      if (webhook.secret !== undefined && secrets === null)
        fail(
          [...at, "webhooks", w, "secret"],
          "a webhook secret is stored encrypted, and no secrets key is configured: set CREDAUTH_SECRETS_KEY (openssl rand -hex 32) or --secrets-key-file",
        );
      rows.push([...owner, webhook.url, webhook.secret === undefined ? null : secrets!.encrypt(webhook.secret)]);
    }
  };
  for (const [e, enterprise] of (parsed.fixture.enterprises ?? []).entries()) {
    add(enterprise.webhooks, [enterprises.get(enterprise.slug.toLowerCase())!.id, null], ["enterprises", e]);
    for (const [o, organization] of (enterprise.organizations ?? []).entries())
      add(
        organization.webhooks,
        [null, organizations.get(organization.login.toLowerCase())!.id],
        ["enterprises", e, "organizations", o],
      );
  }
  for (const chunk of chunks(rows)) {
    await tx.query(
      `insert into webhooks (enterprise_id, organization_id, url, secret_encrypted)
       select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::bytea[]) as w (e, o, u, s)
        where e is not null
       on conflict (enterprise_id, url) where enterprise_id is not null
       do update set secret_encrypted = coalesce(excluded.secret_encrypted, webhooks.secret_encrypted)`,
      columns(chunk),
    );
    await tx.query(
      `insert into webhooks (enterprise_id, organization_id, url, secret_encrypted)
       select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::bytea[]) as w (e, o, u, s)
        where o is not null
       on conflict (organization_id, url) where organization_id is not null
       do update set secret_encrypted = coalesce(excluded.secret_encrypted, webhooks.secret_encrypted)`,
      columns(chunk),
    );
  }
}
