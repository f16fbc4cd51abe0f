// What `npm start` prints: each demo token, whether it still works, what it can do, a curl that
// revokes something while that still can be shown, and how to start the demo afresh.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseFixture } from "../domain/fixture.ts";
import type { TokenStanding } from "../store/principals.ts";

export const DEMO_FIXTURE = join(import.meta.dirname, "..", "..", "fixtures", "demo.yaml");

export interface DemoToken {
  login: string;
  type: string;
  token: string;
  note: string;
}

export interface DemoApp {
  slug: string;
  id: number;
  clientId: string;
  installedOn: string[];
}

const demoFixture = () => parseFixture(readFileSync(DEMO_FIXTURE, "utf8"), DEMO_FIXTURE).fixture;

/** The demo world's GitHub Apps (their keys are in the fixture, for the README's Octokit example). */
export function demoApps(): DemoApp[] {
  return (demoFixture().apps ?? []).map((app) => ({
    slug: app.slug,
    id: app.id!,
    clientId: app.client_id!,
    installedOn: (app.installations ?? []).map((installation) => installation.account),
  }));
}

/** The demo world's tokens, in the fixture's order. */
export function demoTokens(): DemoToken[] {
  const fixture = demoFixture();
  return (fixture.users ?? []).flatMap((user) =>
    (user.credentials ?? []).flatMap((credential) =>
      credential.token
        ? [{ login: user.login, type: credential.type, token: credential.token, note: credential.note ?? "" }]
        : [],
    ),
  );
}

const ALICE = "ghp_credauthDemoAliceAcmeLaptop000000000";
const OLIVIA = "ghp_credauthDemoOliviaAcmeOwner000000000";

function describe(standing: TokenStanding | null): string {
  if (standing === null) return "not in this database";
  if (standing.destroyed) return "DESTROYED: refused everywhere";
  if (!standing.works) return "refused (being revoked)";
  const revoked =
    standing.revokedFor.length > 0 ? `; SSO authorization revoked for ${standing.revokedFor.join(", ")}` : "";
  const authorized =
    standing.authorizedFor.length > 0 ? `; SSO-authorized for ${standing.authorizedFor.join(", ")}` : "";
  return `works${authorized}${revoked}`;
}

/**
 * The banner. `standings[i]` is where the i-th demo token stands now; `certFile` is the self-signed
 * certificate served (--tls-self-signed), which curl is told to trust.
 */
export function demoBanner(
  address: string,
  options: {
    justLoaded: boolean;
    certFile: string | null;
    tokens: DemoToken[];
    standings: (TokenStanding | null)[];
    apps: DemoApp[];
  },
): string {
  const curl = options.certFile ? `curl --cacert ${options.certFile}` : "curl";
  const lines: string[] = [
    "",
    options.justLoaded
      ? "Loaded the demo world (fixtures/demo.yaml). Its tokens:"
      : "The demo world's tokens, as they stand:",
  ];
  options.tokens.forEach((token, i) => {
    lines.push(
      `  ${token.login.padEnd(28)} ${token.type.padEnd(29)} ${token.token}`,
      `  ${"".padEnd(28)} ${describe(options.standings[i] ?? null)}. ${token.note}`,
    );
  });
  for (const app of options.apps)
    lines.push(
      "",
      `The GitHub App ${app.slug} (id ${app.id}, client id ${app.clientId}) is installed on ${app.installedOn.join(", ")};`,
      `it signs in with its private key in fixtures/demo.yaml and mints its own tokens (README: With Octokit).`,
    );
  const standingOf = (value: string) => options.standings[options.tokens.findIndex((t) => t.token === value)] ?? null;
  const aliceWorks = standingOf(ALICE)?.works === true;
  const oliviaWorks = standingOf(OLIVIA)?.works === true;
  if (aliceWorks && oliviaWorks) {
    lines.push(
      "",
      "Alice's token works now:",
      `  ${curl} -s ${address}/user -H "Authorization: Bearer ${ALICE}"`,
      "",
      "Revoke everything of alice_acme in acme, destroying her PATs and SSH keys (EMU):",
      `  ${curl} -si -X POST ${address}/enterprises/acme/credential-authorizations/alice_acme/revoke \\`,
      `    -H "Authorization: Bearer ${OLIVIA}" -H "Accept: application/vnd.github+json" \\`,
      `    -d '{"revoke_credentials": true}'`,
      "",
      "Then Alice's token is refused (401 Bad credentials), and the Location header of the 202 shows the job:",
      `  ${curl} -s ${address}/user -H "Authorization: Bearer ${ALICE}"`,
    );
  }
  lines.push(
    "",
    "Revoked and destroyed tokens stay that way. To start the demo afresh: stop credauth and run",
    "  npm run reset",
    "",
  );
  return lines.join("\n");
}
