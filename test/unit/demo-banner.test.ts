// The demo banner tells where each token stands, shows the curl walkthrough only while its tokens
// work, and always says how to start afresh.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { demoApps, demoBanner, demoTokens } from "../../src/cli/demo.ts";

const live = { works: true, destroyed: false, authorizedFor: ["acme-eng"], revokedFor: [] };

describe("the demo banner", () => {
  const tokens = demoTokens();

  it("lists every demo token with its standing, and the walkthrough while alice and olivia work", () => {
    const text = demoBanner("http://127.0.0.1:3000", {
      justLoaded: true,
      certFile: null,
      tokens,
      standings: tokens.map(() => live),
      apps: demoApps(),
    });
    assert.match(text, /Loaded the demo world/);
    assert.match(
      text,
      /GitHub App acme-incident-response \(id 1001, client id Iv23liAcmeIncident01\) is installed on acme;/,
    );
    for (const token of tokens) assert.ok(text.includes(token.token), token.login);
    assert.match(text, /Alice's token works now:\n {2}curl -s http:\/\/127\.0\.0\.1:3000\/user/);
    assert.match(text, /npm run reset/);
  });

  it("says what was revoked, what was destroyed, and drops the walkthrough once alice is gone", () => {
    const text = demoBanner("https://127.0.0.1:3000", {
      justLoaded: false,
      certFile: "/tmp/cert.pem",
      tokens,
      apps: demoApps(),
      standings: tokens.map((token) =>
        token.login === "alice_acme"
          ? { works: false, destroyed: true, authorizedFor: [], revokedFor: ["acme-eng"] }
          : token.login === "bob_acme"
            ? { works: true, destroyed: false, authorizedFor: [], revokedFor: ["acme-eng"] }
            : token.login === "dave"
              ? null
              : live,
      ),
    });
    assert.match(text, /ghp_credauthDemoAliceAcmeLaptop000000000\n\s+DESTROYED: refused everywhere\./);
    assert.match(text, /gho_credauthDemoBobAcmeOAuthApp000000000\n\s+works; SSO authorization revoked for acme-eng\./);
    assert.match(text, /ghp_credauthDemoDaveGlobex00000000000000\n\s+not in this database\./);
    assert.doesNotMatch(text, /Alice's token works now/);
    assert.match(text, /To start the demo afresh: stop credauth and run\n {2}npm run reset/);
  });
});
