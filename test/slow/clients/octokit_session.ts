// Octokit, unmodified, over HTTPS as a user runs it: the certificate trusted through
// NODE_EXTRA_CA_CERTS (which Node reads at start, hence a process of its own), once with the base
// URL at the root and once with GitHub Enterprise Server's /api/v3. Tokens come from the
// environment. Prints one JSON object with what it saw; the Node test asserts on it.
import { Octokit } from "@octokit/core";

const server = process.env.CREDAUTH_URL!;
const seen: Record<string, unknown> = {};
for (const [name, baseUrl] of [
  ["root", server],
  ["ghes", `${server}/api/v3`],
] as const) {
  const octokit = new Octokit({ auth: process.env.OWNER_TOKEN, baseUrl });
  const user = await octokit.request("GET /user");
  const orgs = await octokit.request("GET /user/orgs");
  const members = await octokit.request("GET /orgs/{org}/members", { org: process.env.ORG!, role: "admin" });
  seen[name] = {
    login: user.data.login,
    url: user.data.url,
    etag: user.headers.etag,
    orgs: orgs.data.map((org) => org.login),
    admins: members.data.map((member) => member?.login),
  };
}
console.log(JSON.stringify(seen));
