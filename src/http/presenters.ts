// GitHub-shaped JSON for users and organizations, filled from what credauth knows and padded with
// GitHub's neutral values for what it does not model (followers, repositories, plans).

/** A time as GitHub writes it in bodies: ISO 8601 to the second, in UTC (`2026-12-06T10:28:31Z`). */
export function githubTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** GitHub's legacy global node id: base64 of `0<len>:<Type><id>`. */
export function nodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString("base64");
}

/** GitHub's `simple-user`: an account as lists show it. */
export function presentSimpleUser(base: string, web: string, user: { id: number; login: string }) {
  const url = `${base}/users/${user.login}`;
  return {
    login: user.login,
    id: user.id,
    user_view_type: "public",
    node_id: nodeId("User", user.id),
    avatar_url: `${web}/identicons/${user.login}.png`,
    gravatar_id: "",
    url,
    html_url: `${web}/${user.login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: "User",
    site_admin: false,
  };
}

export function presentPrivateUser(base: string, web: string, user: { id: number; login: string; createdAt: Date }) {
  const created = githubTime(user.createdAt);
  return {
    ...presentSimpleUser(base, web, user),
    user_view_type: "private",
    name: null,
    company: null,
    blog: "",
    location: null,
    email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: created,
    updated_at: created,
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
  };
}

/** GitHub's `organization-simple`: an organization as lists show it. */
export function presentOrganizationSimple(base: string, web: string, org: { id: number; login: string }) {
  const url = `${base}/orgs/${org.login}`;
  return {
    login: org.login,
    id: org.id,
    node_id: nodeId("Organization", org.id),
    url,
    repos_url: `${url}/repos`,
    events_url: `${url}/events`,
    hooks_url: `${url}/hooks`,
    issues_url: `${url}/issues`,
    members_url: `${url}/members{/member}`,
    public_members_url: `${url}/public_members{/member}`,
    avatar_url: `${web}/identicons/${org.login}.png`,
    description: null,
  };
}

export function presentOrganization(base: string, web: string, org: { id: number; login: string; createdAt: Date }) {
  const created = githubTime(org.createdAt);
  return {
    ...presentOrganizationSimple(base, web, org),
    html_url: `${web}/${org.login}`,
    has_organization_projects: true,
    has_repository_projects: true,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    type: "Organization",
    created_at: created,
    updated_at: created,
    archived_at: null,
  };
}

/** GitHub's `key`: one of the authenticated user's public SSH keys. */
export function presentPublicKey(
  base: string,
  key: { id: number; public_key: string; title: string | null; created_at: Date },
) {
  return {
    // GitHub shows the key without its comment: type and base64 body.
    key: key.public_key.split(/\s+/).slice(0, 2).join(" "),
    id: key.id,
    url: `${base}/user/keys/${key.id}`,
    title: key.title ?? "",
    created_at: githubTime(key.created_at),
    verified: true,
    read_only: false,
    last_used: null,
  };
}
