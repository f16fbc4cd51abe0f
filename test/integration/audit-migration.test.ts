// Migration 5 rewrites audit events recorded before it into GitHub's field meanings: the
// credential an event is about under managed_*, the requesting token (where a revocation knew it)
// under token_*. Events written in the old shape on a version-4 database must read, after the
// migration, exactly like events written now.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, describe, it } from "node:test";
import { generateToken, hashToken } from "../../src/domain/tokens.ts";
import type { Db } from "../../src/store/db.ts";
import { loadMigrations, migrate, splitStatements } from "../../src/store/migrate.ts";
import { backends, freshDatabase } from "../helpers/backends.ts";

for (const backend of backends()) {
  describe(`audit events across migration 5 on ${backend.name}`, () => {
    let db: Db;
    let drop: () => Promise<void>;
    after(async () => {
      await drop?.();
    });

    it("moves the affected credential to managed_* and the requester's token to token_*", async () => {
      ({ db, drop } = await freshDatabase(backend));
      // The schema as version 4 left it.
      await db.exec(
        "create table credauth_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())",
      );
      for (const migration of loadMigrations().filter((m) => m.version <= 4)) {
        await db.transaction(async (tx) => {
          for (const statement of splitStatements(migration.sql)) await tx.query(statement);
          await tx.query("insert into credauth_migrations (version, name) values ($1, $2)", [
            migration.version,
            migration.name,
          ]);
        });
      }
      const requesterToken = generateToken("classic_pat");
      const revokedToken = generateToken("classic_pat");
      const [ids] = await db.query<{
        enterprise: number;
        org: number;
        owner: number;
        member: number;
        requester: number;
        revoked: number;
        authorization: number;
        revocation: number;
      }>(
        `with e as (insert into enterprises (slug, name) values ('acme', 'Acme') returning id),
              o as (insert into organizations (login, enterprise_id) select 'acme-eng', id from e returning id),
              owner as (insert into users (login) values ('olivia') returning id),
              member as (insert into users (login) values ('alice') returning id),
              requester as (insert into credentials (user_id, type, token_hash, token_last_eight, scopes)
                            select id, 'classic_pat', $1, right($3, 8), '{admin:enterprise}' from owner returning id),
              revoked as (insert into credentials (user_id, type, token_hash, token_last_eight, scopes)
                          select id, 'classic_pat', $2, right($4, 8), '{repo}' from member returning id),
              a as (insert into credential_authorizations (credential_id, organization_id)
                    select revoked.id, o.id from revoked, o returning id),
              r as (insert into revocations (enterprise_id, requester_id, requester_credential_id, requester_login, state)
                    select e.id, owner.id, requester.id, 'olivia', 'succeeded' from e, owner, requester returning id)
         select (select id from e) as enterprise, (select id from o) as org, (select id from owner) as owner,
                (select id from member) as member, (select id from requester) as requester,
                (select id from revoked) as revoked, (select id from a) as authorization, (select id from r) as revocation`,
        [hashToken(requesterToken), hashToken(revokedToken), requesterToken, revokedToken],
      );
      const b64 = (token: string) => createHash("sha256").update(token).digest("base64");
      const oldData = {
        credential_id: ids!.revoked,
        token_id: ids!.revoked,
        credential_type: "classic_pat",
        programmatic_access_type: "Personal access token (classic)",
        token_last_eight: revokedToken.slice(-8),
        hashed_token: b64(revokedToken),
        token_scopes: "repo",
        authorization_id: ids!.authorization,
      };
      await db.query(
        `insert into audit_events (action, actor_id, actor_login, user_id, user_login, organization_id, org_login,
                                   enterprise_id, business_slug, revocation_id, subject_id, data)
         values ('org_credential_authorization.grant', $3, 'alice', $3, 'alice', $4, 'acme-eng', $5, 'acme', null, $6, $7),
                ('org_credential_authorization.revoke', $1, 'olivia', $3, 'alice', $4, 'acme-eng', $5, 'acme', $2, $6, $7)`,
        [
          ids!.owner,
          ids!.revocation,
          ids!.member,
          ids!.org,
          ids!.enterprise,
          ids!.authorization,
          JSON.stringify(oldData),
        ],
      );

      const applied = await migrate(db);
      assert.equal(applied[0], 5, `applied ${applied.join(", ")}`);

      const events = await db.query<{ action: string; data: Record<string, unknown> }>(
        "select action, data from audit_events order by id",
      );
      const [grant, revoke] = events;
      assert.deepEqual(grant!.data, {
        token_id: ids!.revoked,
        programmatic_access_type: "Personal access token (classic)",
        token_last_eight: revokedToken.slice(-8),
        hashed_token: b64(revokedToken),
        token_scopes: "repo",
        authorization_id: ids!.authorization,
      });
      assert.deepEqual(revoke!.data, {
        token_id: ids!.requester,
        hashed_token: b64(requesterToken),
        token_scopes: "admin:enterprise",
        programmatic_access_type: "Personal access token (classic)",
        managed_credential_id: ids!.revoked,
        managed_credential_type: "Personal access token (classic)",
        managed_token_last_eight: revokedToken.slice(-8),
        managed_hashed_token: b64(revokedToken),
        managed_token_scopes: "repo",
        owner: "alice",
        authorization_id: ids!.authorization,
      });
    });
  });
}
