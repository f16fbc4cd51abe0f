// What `npm start` prints: the demo tokens, what each can do, and a curl that revokes something.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseFixture } from "../domain/fixture.ts";

export const DEMO_FIXTURE = join(import.meta.dirname, "..", "..", "fixtures", "demo.yaml");

/** `certFile`: the self-signed certificate served (--tls-self-signed), which curl is told to trust. */
export function printDemoBanner(address: string, justLoaded: boolean, certFile: string | null = null): void {
  const curl = certFile ? `curl --cacert ${certFile}` : "curl";
  const { fixture } = parseFixture(readFileSync(DEMO_FIXTURE, "utf8"), DEMO_FIXTURE);
  const lines: string[] = [];
  lines.push(
    "",
    justLoaded
      ? "Loaded the demo world (fixtures/demo.yaml). Its tokens:"
      : "Demo tokens (fixtures/demo.yaml; revoked ones stay revoked):",
  );
  for (const user of fixture.users ?? []) {
    for (const credential of user.credentials ?? []) {
      if (!credential.token) continue;
      lines.push(
        `  ${user.login.padEnd(12)} ${credential.type.padEnd(17)} ${credential.token}`,
        `               ${credential.note ?? ""}`,
      );
    }
  }
  const alice = "ghp_credauthDemoAliceAcmeLaptop000000000";
  const olivia = "ghp_credauthDemoOliviaAcmeOwner000000000";
  lines.push(
    "",
    "Alice's token works now:",
    `  ${curl} -s ${address}/user -H "Authorization: Bearer ${alice}"`,
    "",
    "Revoke everything of alice_acme in acme, destroying her PATs and SSH keys (EMU):",
    `  ${curl} -si -X POST ${address}/enterprises/acme/credential-authorizations/alice_acme/revoke \\`,
    `    -H "Authorization: Bearer ${olivia}" -H "Accept: application/vnd.github+json" \\`,
    `    -d '{"revoke_credentials": true}'`,
    "",
    "Then Alice's token is refused (401 Bad credentials), and the Location header of the 202 shows the job:",
    `  ${curl} -s ${address}/user -H "Authorization: Bearer ${alice}"`,
    "",
  );
  console.log(lines.join("\n"));
}
