// The whole family through Octokit against a credauth process: provision through the admin API,
// grant, list, revoke at organization level, see the authorization gone and access refused, and
// find each step in the audit log under GitHub's action names.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Octokit } from "@octokit/core";
import { RequestError } from "@octokit/request-error";
import { type InProcessServer, listenInProcess } from "../helpers/in-process.ts";

interface Authorization {
  login: string;
  credential_id: number;
  authorized_credential_id: number;
  token_last_eight?: string;
}
interface AuditEvent {
  action: string;
  actor?: string;
  token_id?: number;
  managed_credential_id?: number;
}

describe("Octokit: provisioning, organization revocation and the audit log", () => {
  const adminToken = randomBytes(32).toString("hex");
  let server: InProcessServer;
  const client = (token: string) => new Octokit({ auth: token, baseUrl: server.url });

  before(async () => {
    server = await listenInProcess({ adminToken });
  });
  after(() => server?.close());

  it("follows a credential from grant through organization revocation in the audit log", async () => {
    const admin = client(adminToken);
    const world = await admin.request("POST /_credauth/admin/enterprises", {
      slug: "flow",
      name: "Flow Inc.",
      owners: ["flow_owner"],
      organizations: [{ login: "flow-eng", owners: ["flow_owner"], members: ["flow_dev"] }],
    });
    assert.equal(world.status, 201);
    const owner = await admin.request("POST /_credauth/admin/users/{login}/credentials", {
      login: "flow_owner",
      type: "classic_pat",
      scopes: ["admin:org", "read:audit_log"],
      note: "incident response",
    });
    const dev = await admin.request("POST /_credauth/admin/users/{login}/credentials", {
      login: "flow_dev",
      type: "classic_pat",
      scopes: ["repo"],
      note: "laptop",
    });
    const spare = await admin.request("POST /_credauth/admin/users/{login}/credentials", {
      login: "flow_dev",
      type: "oauth_app_token",
      scopes: ["repo"],
      note: "cli",
    });
    for (const credential of [owner.data, dev.data, spare.data]) {
      const grant = await admin.request("POST /_credauth/admin/credentials/{id}/authorizations", {
        id: credential.id,
        organization: "flow-eng",
      });
      assert.equal(grant.status, 201);
    }
    const ownerClient = client(owner.data.token);
    const devClient = client(dev.data.token);

    const listed = (await ownerClient.request("GET /orgs/{org}/credential-authorizations", { org: "flow-eng" })) as {
      status: number;
      data: Authorization[];
    };
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.data.map((a) => a.login).sort(), ["flow_dev", "flow_dev", "flow_owner"]);
    const devAuthorization = listed.data.find((a) => a.authorized_credential_id === dev.data.id)!;
    assert.equal(devAuthorization.token_last_eight, String(dev.data.token).slice(-8));
    assert.equal((await devClient.request("GET /orgs/{org}", { org: "flow-eng" })).status, 200);

    // Remove the spare OAuth token's authorization directly, then revoke the rest of flow_dev's.
    const spareAuthorization = listed.data.find((a) => a.authorized_credential_id === spare.data.id)!;
    const removed = await ownerClient.request("DELETE /orgs/{org}/credential-authorizations/{credential_id}", {
      org: "flow-eng",
      credential_id: spareAuthorization.credential_id,
    });
    assert.equal(removed.status, 204);
    const revoked = await ownerClient.request("POST /orgs/{org}/credential-authorizations/{username}/revoke", {
      org: "flow-eng",
      username: "flow_dev",
    });
    assert.equal(revoked.status, 202);
    assert.equal(revoked.data.message, "Credential authorization revocation for user 'flow_dev' has been queued");

    const after = (await ownerClient.request("GET /orgs/{org}/credential-authorizations", { org: "flow-eng" })) as {
      data: Authorization[];
    };
    assert.deepEqual(
      after.data.map((a) => a.login),
      ["flow_owner"],
    );
    await assert.rejects(devClient.request("GET /orgs/{org}", { org: "flow-eng" }), (error: unknown) => {
      assert.ok(error instanceof RequestError);
      assert.equal(error.status, 403);
      assert.match(error.message, /SAML enforcement/);
      return true;
    });

    const jobPath = new URL(String(revoked.headers.location)).pathname;
    let state = "";
    for (let i = 0; i < 100 && state !== "succeeded"; i++) {
      state = ((await ownerClient.request(`GET ${jobPath}`)).data as { state: string }).state;
      if (state !== "succeeded") await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(state, "succeeded");

    const log = (await ownerClient.request("GET /orgs/{org}/audit-log", {
      org: "flow-eng",
      phrase: "user:flow_dev",
      order: "asc",
      per_page: 100,
    })) as { data: AuditEvent[] };
    // A grant's token is the credential granted; a revocation's is the owner's, and the credential
    // it is about goes under managed_credential_id.
    const steps = log.data.map((e) => [e.action, e.actor, e.token_id, e.managed_credential_id]);
    assert.deepEqual(steps, [
      ["org_credential_authorization.grant", "flow_dev", dev.data.id, undefined],
      ["org_credential_authorization.grant", "flow_dev", spare.data.id, undefined],
      ["org_credential_authorization.revoke", "flow_owner", owner.data.id, spare.data.id],
      ["org_credential_authorization.deauthorize", "flow_owner", owner.data.id, spare.data.id],
      ["org_credential_authorization.revoke", "flow_owner", owner.data.id, dev.data.id],
      ["org_credential_authorization.deauthorize", "flow_owner", owner.data.id, dev.data.id],
    ]);
    const enterpriseLog = await ownerClient.request("GET /enterprises/{enterprise}/audit-log", {
      enterprise: "flow",
      phrase: "action:org_credential_authorization.grant",
    });
    assert.equal(enterpriseLog.data.length, 3);
  });
});
