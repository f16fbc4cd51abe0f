// The names GitHub gives what a token may do, so a fixture that misspells one is refused rather
// than loaded as a token that can do nothing. Classic scopes: GitHub's "Scopes for OAuth apps" and
// the classic personal access token form (docs.github.com/enterprise-cloud@latest/apps/oauth-apps/
// building-oauth-apps/scopes-for-oauth-apps). Fine-grained permissions and their levels: the
// `app-permissions` schema of GitHub's OpenAPI description (contract/ghec-subset.json; a unit test
// keeps this list equal to it), plus the enterprise permission credauth's operations use.

export const CLASSIC_SCOPES = [
  "repo",
  "repo:status",
  "repo_deployment",
  "public_repo",
  "repo:invite",
  "security_events",
  "workflow",
  "write:packages",
  "read:packages",
  "delete:packages",
  "admin:org",
  "write:org",
  "read:org",
  "manage_runners:org",
  "admin:public_key",
  "write:public_key",
  "read:public_key",
  "admin:repo_hook",
  "write:repo_hook",
  "read:repo_hook",
  "admin:org_hook",
  "gist",
  "notifications",
  "user",
  "read:user",
  "user:email",
  "user:follow",
  "delete_repo",
  "write:discussion",
  "read:discussion",
  "admin:enterprise",
  "manage_runners:enterprise",
  "manage_billing:enterprise",
  "read:enterprise",
  "scim:enterprise",
  "audit_log",
  "read:audit_log",
  "codespace",
  "codespace:secrets",
  "copilot",
  "manage_billing:copilot",
  "write:network_configurations",
  "read:network_configurations",
  "project",
  "read:project",
  "admin:gpg_key",
  "write:gpg_key",
  "read:gpg_key",
  "admin:ssh_signing_key",
  "write:ssh_signing_key",
  "read:ssh_signing_key",
] as const;

export type PermissionLevel = "read" | "write" | "admin";

/** GitHub's `app-permissions`: each permission and the levels it takes. */
export const GITHUB_APP_PERMISSIONS: Readonly<Record<string, readonly PermissionLevel[]>> = {
  actions: ["read", "write"],
  administration: ["read", "write"],
  artifact_metadata: ["read", "write"],
  attestations: ["read", "write"],
  checks: ["read", "write"],
  code_quality: ["read", "write"],
  codespaces: ["read", "write"],
  contents: ["read", "write"],
  dependabot_secrets: ["read", "write"],
  deployments: ["read", "write"],
  discussions: ["read", "write"],
  environments: ["read", "write"],
  issues: ["read", "write"],
  merge_queues: ["read", "write"],
  metadata: ["read", "write"],
  packages: ["read", "write"],
  pages: ["read", "write"],
  pull_requests: ["read", "write"],
  repository_custom_properties: ["read", "write"],
  repository_hooks: ["read", "write"],
  repository_projects: ["read", "write", "admin"],
  secret_scanning_alerts: ["read", "write"],
  secrets: ["read", "write"],
  security_events: ["read", "write"],
  single_file: ["read", "write"],
  statuses: ["read", "write"],
  vulnerability_alerts: ["read", "write"],
  workflows: ["write"],
  custom_properties_for_organizations: ["read", "write"],
  members: ["read", "write"],
  organization_administration: ["read", "write"],
  organization_custom_roles: ["read", "write"],
  organization_custom_org_roles: ["read", "write"],
  organization_custom_properties: ["read", "write", "admin"],
  organization_copilot_seat_management: ["read", "write"],
  organization_copilot_agent_settings: ["read", "write"],
  organization_announcement_banners: ["read", "write"],
  organization_events: ["read"],
  organization_hooks: ["read", "write"],
  organization_personal_access_tokens: ["read", "write"],
  organization_personal_access_token_requests: ["read", "write"],
  organization_plan: ["read"],
  organization_projects: ["read", "write", "admin"],
  organization_packages: ["read", "write"],
  organization_secrets: ["read", "write"],
  organization_self_hosted_runners: ["read", "write"],
  organization_user_blocking: ["read", "write"],
  email_addresses: ["read", "write"],
  followers: ["read", "write"],
  git_ssh_keys: ["read", "write"],
  gpg_keys: ["read", "write"],
  interaction_limits: ["read", "write"],
  profile: ["write"],
  starring: ["read", "write"],
  enterprise_administration: ["read", "write"],
  enterprise_custom_properties_for_organizations: ["read", "write", "admin"],
  enterprise_organization_installations: ["read", "write"],
  enterprise_organization_installation_repositories: ["read", "write"],
};

/** The repository permissions among GitHub's (the first group of `app-permissions`). */
const REPOSITORY_PERMISSIONS = new Set(
  Object.keys(GITHUB_APP_PERMISSIONS).slice(0, Object.keys(GITHUB_APP_PERMISSIONS).indexOf("workflows") + 1),
);

/**
 * How GitHub groups a fine-grained PAT's permissions when an organization lists it: repository,
 * organization (its `organization_…` ones and `members`), or other (the account's own, enterprise).
 */
export function permissionCategory(name: string): "repository" | "organization" | "other" {
  if (REPOSITORY_PERMISSIONS.has(name)) return "repository";
  if (name === "members" || name.startsWith("organization_") || name === "custom_properties_for_organizations")
    return "organization";
  return "other";
}

/**
 * Permissions credauth's operations check that GitHub's description does not list: the enterprise
 * credentials permission behind write_enterprise_credentials (decision 40).
 */
export const CREDAUTH_PERMISSIONS: Readonly<Record<string, readonly PermissionLevel[]>> = {
  enterprise_credentials: ["read", "write"],
};

export const PERMISSIONS: Readonly<Record<string, readonly PermissionLevel[]>> = {
  ...GITHUB_APP_PERMISSIONS,
  ...CREDAUTH_PERMISSIONS,
};

/** The known name closest to `word` (a typo's fix), if one is close enough to suggest. */
export function closest(word: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const name of names) {
    const distance = editDistance(word, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
