// @ts-check
// The credauth console: one page, plain JavaScript, no framework and nothing fetched from elsewhere.
// It signs in by exchanging a token for a session cookie (POST /_credauth/console/session), then
// calls the API under /_credauth/console/api/…, where every route answers to that cookie with the
// same rules as for the token; each change carries the session's CSRF token.

const CONSOLE = "/_credauth/console";
const API = `${CONSOLE}/api`;
const CREDENTIAL_TYPES = ["classic_pat", "fine_grained_pat", "ssh_key", "oauth_app_token"];

/** @type {{ session: null | { kind: "token" | "admin"; login: string | null; csrf: string }; scopes: null | { enterprises: { slug: string; name: string; emu: boolean }[]; organizations: { login: string; enterprise: string }[] } }} */
const state = { session: null, scopes: null };
/** @type {EventSource | null} the job page's event stream, closed when the page changes */
let stream = null;

// ---------------------------------------------------------------------------------------------
// Building the page: elements from data, never HTML from data.

/**
 * @param {string} tag
 * @param {Record<string, any> | null} [attributes]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElement}
 */
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "text") element.textContent = String(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** @param {string} text */
function announce(text) {
  const region = document.getElementById("announce");
  if (region) region.textContent = text;
}

/** Shows a page: its title as the h1, focused, so a screen reader and the keyboard start there. */
function show(/** @type {string} */ title, /** @type {(Node | string | null | false)[]} */ ...content) {
  const main = /** @type {HTMLElement} */ (document.getElementById("main"));
  const heading = h("h1", { tabindex: "-1" }, title);
  main.replaceChildren(heading, .../** @type {(Node | string)[]} */ (content.filter((c) => c !== null && c !== false)));
  document.title = `${title} · credauth console`;
  heading.focus();
}

/** @param {string} message @param {"error" | "warning" | "ok" | ""} [kind] */
const notice = (message, kind = "") =>
  h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : null }, message);

/** @param {Record<string, number>} counts */
const countsTable = (counts, caption) =>
  h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      null,
      h("caption", { class: "visually-hidden" }, caption),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", { scope: "col" }, "Credential type"),
          h("th", { scope: "col", class: "number" }, "Count"),
        ),
      ),
      h(
        "tbody",
        null,
        ...Object.entries(counts)
          .filter(([type]) => type !== "total")
          .map(([type, n]) => h("tr", null, h("td", null, h("code", null, type)), h("td", { class: "number" }, n))),
        h(
          "tr",
          null,
          h("th", { scope: "row" }, "Total"),
          h("td", { class: "number" }, h("strong", null, counts.total ?? 0)),
        ),
      ),
    ),
  );

/**
 * A table of rows, or a line saying there are none.
 * @param {string[]} columns @param {HTMLElement[]} rows @param {string} empty
 */
const dataTable = (columns, rows, empty) =>
  rows.length === 0
    ? h("p", { class: "muted" }, empty)
    : h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          null,
          h("thead", null, h("tr", null, ...columns.map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", null, ...rows),
        ),
      );

// ---------------------------------------------------------------------------------------------
// Talking to credauth.

class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * @param {string} path an API path (sent under /_credauth/console/api), or one of the console's own
 * @param {{ method?: string; body?: unknown }} [options]
 * @returns {Promise<{ status: number; data: any; headers: Headers }>}
 */
async function api(path, options = {}) {
  const method = options.method ?? "GET";
  /** @type {Record<string, string>} */
  const headers = { accept: "application/vnd.github+json" };
  if (method !== "GET") headers["x-csrf-token"] = state.session?.csrf ?? "";
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path.startsWith(CONSOLE) ? path : `${API}${path}`, {
    method,
    headers,
    credentials: "same-origin",
    // GitHub's answers say max-age=60: the console must see a change it has just made.
    cache: "no-store",
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (response.status === 401 && state.session) {
    state.session = null;
    state.scopes = null;
    renderHeader();
  }
  if (!response.ok) throw new ApiError(response.status, data?.message ?? response.statusText);
  return { status: response.status, data, headers: response.headers };
}

/** The query of a Link header's relation (GitHub's pagination), if there is one. @param {Headers} headers @param {string} relation */
function linkQuery(headers, relation) {
  const value = headers.get("link") ?? "";
  for (const part of value.split(",")) {
    const match = /<([^>]+)>;\s*rel="([^"]+)"/.exec(part.trim());
    if (match && match[2] === relation) return new URL(match[1]).searchParams;
  }
  return null;
}

/** The page number a Link header's relation points to. @param {Headers} headers @param {string} relation */
const link = (headers, relation) => linkQuery(headers, relation)?.get("page") ?? null;

// ---------------------------------------------------------------------------------------------
// Routing: #/path?query.

function route() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  return {
    parts: (path ?? "").split("/").filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(query ?? ""),
  };
}

/** @param {string} hash */
const go = (hash) => {
  location.hash = hash;
};

async function render() {
  stream?.close();
  stream = null;
  if (!state.session) {
    try {
      state.session = (await api(`${CONSOLE}/session`)).data;
    } catch {
      state.session = null;
    }
  }
  renderHeader();
  if (!state.session) return signInPage();
  const { parts, query } = route();
  try {
    if (state.session.kind === "admin") return await adminPage();
    state.scopes ??= (await api("/_credauth/scopes")).data;
    if (parts[0] === "enterprises" && parts[1]) return await enterprisePage(parts[1]);
    if (parts[0] === "orgs" && parts[1]) return await organizationPage(parts[1], query);
    if (parts[0] === "jobs" && parts[1]) return await jobPage(parts[1]);
    if (parts[0] === "jobs") return await jobsPage();
    if (parts[0] === "audit") return await auditPage(query);
    return homePage();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return render();
    show("Something went wrong", notice(error instanceof Error ? error.message : String(error), "error"));
  }
}

function renderHeader() {
  const nav = /** @type {HTMLElement} */ (document.getElementById("nav"));
  const who = /** @type {HTMLElement} */ (document.getElementById("who"));
  const session = state.session;
  nav.replaceChildren(
    ...(session?.kind === "token"
      ? [h("a", { href: "#/" }, "Home"), h("a", { href: "#/jobs" }, "Jobs"), h("a", { href: "#/audit" }, "Audit log")]
      : []),
  );
  who.replaceChildren(
    ...(session
      ? [
          h("span", null, session.kind === "admin" ? "Site admin" : `Signed in as ${session.login}`),
          h("button", { type: "button", onclick: signOut }, "Sign out"),
        ]
      : []),
  );
}

async function signOut() {
  await api(`${CONSOLE}/session`, { method: "DELETE" }).catch(() => {});
  state.session = null;
  state.scopes = null;
  announce("Signed out");
  go("#/");
  await render();
}

// ---------------------------------------------------------------------------------------------
// Pages.

function signInPage() {
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    required: true,
    spellcheck: "false",
  });
  const problem = h("div");
  const form = h(
    "form",
    {
      onsubmit: async (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        try {
          state.session = (
            await api(`${CONSOLE}/session`, {
              method: "POST",
              body: { token: /** @type {HTMLInputElement} */ (input).value },
            })
          ).data;
          /** @type {HTMLInputElement} */ (input).value = "";
          announce("Signed in");
          await render();
        } catch (error) {
          problem.replaceChildren(
            notice(
              error instanceof ApiError && error.status === 401 ? "That token does not work here." : String(error),
              "error",
            ),
          );
          input.focus();
        }
      },
    },
    h(
      "div",
      { class: "row" },
      h("label", { for: "token" }, "Token", input),
      h("button", { class: "primary", type: "submit" }, "Sign in"),
    ),
    problem,
  );
  show(
    "Sign in",
    h(
      "p",
      null,
      "Sign in with a GitHub token of yours (the demo banner of ",
      h("code", null, "npm start"),
      " lists some), or with the site-admin token. It is exchanged for a session cookie and kept nowhere in this browser.",
    ),
    form,
  );
}

function homePage() {
  const scopes = state.scopes ?? { enterprises: [], organizations: [] };
  show(
    "Home",
    h("h2", null, "Enterprises"),
    scopes.enterprises.length === 0
      ? h("p", { class: "muted" }, "None that you manage.")
      : h(
          "div",
          { class: "cards" },
          ...scopes.enterprises.map((e) =>
            h(
              "div",
              { class: "panel" },
              h("a", { href: `#/enterprises/${encodeURIComponent(e.slug)}` }, h("strong", null, e.name)),
              " ",
              e.emu ? h("span", { class: "badge" }, "EMU") : null,
              h("div", { class: "muted" }, e.slug),
            ),
          ),
        ),
    h("h2", null, "Organizations"),
    scopes.organizations.length === 0
      ? h("p", { class: "muted" }, "None that you own.")
      : h(
          "ul",
          null,
          ...scopes.organizations.map((o) =>
            h(
              "li",
              null,
              h("a", { href: `#/orgs/${encodeURIComponent(o.login)}` }, o.login),
              h("span", { class: "muted" }, ` in ${o.enterprise}`),
            ),
          ),
        ),
  );
}

/** @param {string} slug */
async function enterprisePage(slug) {
  const enterprise = state.scopes?.enterprises.find((e) => e.slug.toLowerCase() === slug.toLowerCase());
  const base = `/enterprises/${encodeURIComponent(slug)}/credential-authorizations`;
  const counts = (await api(`/_credauth/dry-run${base}/revoke-all`, { method: "POST", body: {} })).data;
  const zone = h(
    "section",
    { class: "panel danger-zone", "aria-labelledby": "danger" },
    h("h2", { id: "danger" }, "Danger zone"),
  );
  const emu = enterprise?.emu === true;
  zone.append(
    revokeForm({
      id: "all",
      title: "Revoke all SSO authorizations",
      slug,
      emu,
      path: () => `${base}/revoke-all`,
      fields: [],
    }),
    revokeForm({
      id: "user",
      title: "Revoke a user's SSO authorizations",
      slug,
      emu,
      fields: [["username", "Username", h("input", { name: "username", required: true, autocomplete: "off" })]],
      path: (values) => `${base}/${encodeURIComponent(values.username)}/revoke`,
    }),
    revokeForm({
      id: "type",
      title: "Revoke a credential type",
      slug,
      emu,
      fields: [
        [
          "credential_type",
          "Credential type",
          h(
            "select",
            { name: "credential_type" },
            ...CREDENTIAL_TYPES.map((type) => h("option", { value: type }, type)),
          ),
        ],
      ],
      path: () => `${base}/revoke-credential-type`,
    }),
  );
  show(
    `${enterprise?.name ?? slug} · Authentication security`,
    h(
      "p",
      { class: "muted" },
      `Enterprise ${slug}${emu ? " (Enterprise Managed Users)" : ""}.`,
      " ",
      h("a", { href: `#/audit?enterprise=${encodeURIComponent(slug)}` }, "Audit log"),
      " · ",
      h("a", { href: "#/jobs" }, "Jobs"),
    ),
    h(
      "section",
      { "aria-labelledby": "sso" },
      h("h2", { id: "sso" }, "SSO-authorized credentials"),
      countsTable(counts.authorizations_revoked, "SSO-authorized credentials by type"),
    ),
    zone,
  );
}

/**
 * One revoke form of the Danger zone: fields, then Preview (the exact dry run), then the slug typed
 * to confirm, then Revoke, which opens the job.
 * @param {{ id: string; title: string; slug: string; emu: boolean; fields: [string, string, HTMLElement][]; path: (values: Record<string, string>) => string }} spec
 */
function revokeForm(spec) {
  const result = h("div", { "aria-live": "polite" });
  const destroy = spec.emu ? h("input", { type: "checkbox", name: "revoke_credentials" }) : null;
  const values = () => {
    /** @type {Record<string, string>} */
    const out = {};
    for (const [name, , input] of spec.fields) out[name] = /** @type {HTMLInputElement} */ (input).value.trim();
    return out;
  };
  const body = () => {
    /** @type {Record<string, unknown>} */
    const out = {};
    const v = values();
    if (v.credential_type) out.credential_type = v.credential_type;
    if (destroy && /** @type {HTMLInputElement} */ (destroy).checked) out.revoke_credentials = true;
    return out;
  };
  const form = h(
    "form",
    {
      "aria-labelledby": `revoke-${spec.id}`,
      onsubmit: async (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        try {
          const preview = (await api(`/_credauth/dry-run${spec.path(values())}`, { method: "POST", body: body() }))
            .data;
          result.replaceChildren(confirmation(spec, preview, () => spec.path(values()), body));
          /** @type {HTMLElement | null} */ (result.querySelector("input"))?.focus();
        } catch (error) {
          result.replaceChildren(notice(String(error instanceof Error ? error.message : error), "error"));
        }
      },
    },
    h(
      "div",
      { class: "row" },
      ...spec.fields.map(([name, label, input]) => {
        input.id = `${spec.id}-${name}`;
        return h("label", { for: input.id }, label, input);
      }),
      destroy ? h("label", { class: "check" }, destroy, "Also delete the PATs and SSH keys themselves") : null,
      h("button", { type: "submit" }, "Preview"),
    ),
  );
  return h("div", { class: "panel" }, h("h3", { id: `revoke-${spec.id}` }, spec.title), form, result);
}

/** "1 classic_pat, 2 ssh_key" from counts by type, zeros and the total left out. */
const byType = (/** @type {Record<string, number>} */ counts) =>
  Object.entries(counts)
    .filter(([type, n]) => type !== "total" && n > 0)
    .map(([type, n]) => `${n} ${type}`)
    .join(", ");

/** The preview, and the typed confirmation that enables Revoke. */
function confirmation(spec, preview, path, body) {
  const own = preview.caller_token;
  const typed = h("input", { id: `${spec.id}-confirm`, autocomplete: "off", spellcheck: "false" });
  const button = h("button", { class: "danger", type: "button", disabled: true }, "Revoke");
  typed.addEventListener("input", () => {
    /** @type {HTMLButtonElement} */ (button).disabled = /** @type {HTMLInputElement} */ (typed).value !== spec.slug;
  });
  button.addEventListener("click", async () => {
    /** @type {HTMLButtonElement} */ (button).disabled = true;
    try {
      const accepted = await api(path(), { method: "POST", body: body() });
      const location = accepted.headers.get("location") ?? "";
      announce(accepted.data.message);
      go(`#/jobs/${location.split("/").pop()}`);
    } catch (error) {
      button.after(notice(String(error instanceof Error ? error.message : error), "error"));
    }
  });
  return h(
    "div",
    { class: "notice warning" },
    h("h4", null, "This would, now:"),
    h(
      "ul",
      null,
      h(
        "li",
        null,
        `revoke ${preview.authorizations_revoked.total} SSO authorizations`,
        preview.authorizations_revoked.total > 0 ? ` (${byType(preview.authorizations_revoked)})` : "",
      ),
      h(
        "li",
        null,
        `delete ${preview.credentials_destroyed.total} credentials`,
        preview.credentials_destroyed.total > 0 ? ` (${byType(preview.credentials_destroyed)})` : "",
      ),
      h("li", null, `affect ${preview.affected_users} ${preview.affected_users === 1 ? "person" : "people"}`),
      own.destroyed || own.authorization_revoked
        ? h(
            "li",
            null,
            h(
              "strong",
              null,
              own.destroyed ? "Your own token will be deleted." : "Your own token will lose its authorization.",
            ),
          )
        : null,
    ),
    h("div", { class: "row" }, h("label", { for: typed.id }, `Type ${spec.slug} to confirm`, typed), button),
  );
}

/** @param {string} id */
async function jobPage(id) {
  const facts = h("dl", { class: "facts" });
  const progress = h("progress", { max: 1, "aria-label": "Progress" });
  const revoked = h("div");
  const destroyed = h("div");
  const update = (/** @type {any} */ job) => {
    const ended = job.state === "succeeded" || job.state === "failed";
    const seconds = job.completed_at
      ? ((Date.parse(job.completed_at) - Date.parse(job.created_at)) / 1000).toFixed(1)
      : null;
    const rows = [
      h("dt", null, "State"),
      h(
        "dd",
        null,
        h("span", { class: `badge ${job.state}`, "data-state": job.state }, job.state),
        job.state === "queued" ? h("span", { class: "muted" }, " waiting for a worker to take it") : null,
        job.state === "running" ? h("span", { class: "muted" }, " a worker is revoking, batch by batch") : null,
      ),
      h("dt", null, "Scope"),
      h(
        "dd",
        null,
        job.scope.organization ? `organization ${job.scope.organization}` : `enterprise ${job.scope.enterprise}`,
        job.scope.username ? `, user ${job.scope.username}` : "",
        job.scope.credential_type ? `, ${job.scope.credential_type}` : "",
        job.scope.revoke_credentials ? ", credentials deleted" : "",
      ),
      h("dt", null, "Requested by"),
      h("dd", null, job.requester.login),
      h("dt", null, "Requested"),
      h("dd", null, new Date(job.created_at).toLocaleString()),
      h("dt", null, "Duration"),
      h("dd", null, seconds === null ? "—" : `${seconds} s`),
    ];
    if (job.error) rows.push(h("dt", null, "Error"), h("dd", null, job.error));
    facts.replaceChildren(...rows);
    if (ended) progress.setAttribute("value", "1");
    else progress.removeAttribute("value");
    revoked.replaceChildren(countsTable(job.counts.authorizations_revoked, "SSO authorizations revoked by type"));
    destroyed.replaceChildren(countsTable(job.counts.credentials_destroyed, "Credentials deleted by type"));
    if (ended) announce(`Job ${job.id} ${job.state}`);
  };
  const job = (await api(`/_credauth/revocations/${encodeURIComponent(id)}`)).data;
  show(
    `Revocation ${job.id}`,
    facts,
    progress,
    h("h2", null, "SSO authorizations revoked"),
    revoked,
    h("h2", null, "Credentials deleted"),
    destroyed,
    h("p", null, h("a", { href: "#/jobs" }, "All jobs")),
  );
  update(job);
  if (job.state === "succeeded" || job.state === "failed") return;
  // Followed as it happens; the stream ends when the job has.
  stream = new EventSource(`${API}/_credauth/revocations/${encodeURIComponent(id)}/events`);
  stream.addEventListener("revocation", (event) => update(JSON.parse(/** @type {MessageEvent} */ (event).data)));
  stream.addEventListener("error", () => stream?.close());
}

async function jobsPage() {
  const { data } = await api("/_credauth/revocations?per_page=50");
  show(
    "Revocation jobs",
    dataTable(
      ["Job", "State", "Scope", "Requested by", "Requested", "Revoked", "Deleted"],
      data.map((/** @type {any} */ job) =>
        h(
          "tr",
          null,
          h("td", null, h("a", { href: `#/jobs/${job.id}` }, `#${job.id}`)),
          h("td", null, h("span", { class: `badge ${job.state}` }, job.state)),
          h(
            "td",
            null,
            job.scope.organization ?? job.scope.enterprise,
            job.scope.username ? ` · ${job.scope.username}` : "",
          ),
          h("td", null, job.requester.login),
          h("td", null, new Date(job.created_at).toLocaleString()),
          h("td", { class: "number" }, job.counts.authorizations_revoked.total),
          h("td", { class: "number" }, job.counts.credentials_destroyed.total),
        ),
      ),
      "No jobs yet.",
    ),
  );
}

/** @param {string} login @param {URLSearchParams} query */
async function organizationPage(login, query) {
  const page = query.get("page") ?? "1";
  const filter = query.get("login") ?? "";
  const params = new URLSearchParams({ per_page: "30", page });
  if (filter) params.set("login", filter);
  const base = `/orgs/${encodeURIComponent(login)}/credential-authorizations`;
  const { data, headers } = await api(`${base}?${params}`);
  const filterInput = h("input", { id: "filter", name: "login", value: filter, autocomplete: "off" });
  const dialog = /** @type {HTMLDialogElement} */ (h("dialog", { "aria-labelledby": "dialog-title" }));
  const rows = data.map((/** @type {any} */ entry) =>
    h(
      "tr",
      null,
      h("td", null, entry.login),
      h("td", null, entry.credential_type),
      h("td", { class: "mono" }, entry.token_last_eight ?? entry.fingerprint ?? ""),
      h("td", null, (entry.scopes ?? []).join(", ")),
      h("td", null, new Date(entry.credential_authorized_at).toLocaleString()),
      h("td", null, entry.credential_accessed_at ? new Date(entry.credential_accessed_at).toLocaleString() : "never"),
      h(
        "td",
        null,
        h(
          "button",
          {
            type: "button",
            class: "danger",
            "aria-label": `Revoke ${entry.credential_type} of ${entry.login}`,
            onclick: () => confirmRevokeOne(dialog, login, entry),
          },
          "Revoke",
        ),
      ),
    ),
  );
  const previous = link(headers, "prev");
  const next = link(headers, "next");
  const pageLink = (/** @type {string} */ p, /** @type {string} */ text) => {
    const q = new URLSearchParams({ page: p });
    if (filter) q.set("login", filter);
    return h("a", { href: `#/orgs/${encodeURIComponent(login)}?${q}` }, text);
  };
  show(
    `${login} · SSO-authorized credentials`,
    h("p", { class: "muted" }, h("a", { href: `#/audit?org=${encodeURIComponent(login)}` }, "Audit log")),
    h(
      "form",
      {
        role: "search",
        onsubmit: (/** @type {SubmitEvent} */ event) => {
          event.preventDefault();
          const value = /** @type {HTMLInputElement} */ (filterInput).value.trim();
          go(`#/orgs/${encodeURIComponent(login)}${value ? `?login=${encodeURIComponent(value)}` : ""}`);
        },
      },
      h(
        "div",
        { class: "row" },
        h("label", { for: "filter" }, "Filter by login", filterInput),
        h("button", { type: "submit" }, "Filter"),
      ),
    ),
    dataTable(
      ["Login", "Type", "Last eight / fingerprint", "Scopes", "Authorized", "Last accessed", ""],
      rows,
      "No SSO-authorized credentials.",
    ),
    h(
      "nav",
      { class: "pager", "aria-label": "Pages" },
      previous ? pageLink(previous, "Previous page") : null,
      h("span", null, `Page ${page}`),
      next ? pageLink(next, "Next page") : null,
    ),
    dialog,
  );
}

/** Asks before revoking one authorization, as GitHub's page does; focus returns to the list after. */
function confirmRevokeOne(
  /** @type {HTMLDialogElement} */ dialog,
  /** @type {string} */ login,
  /** @type {any} */ entry,
) {
  const problem = h("div");
  dialog.replaceChildren(
    h("h2", { id: "dialog-title" }, "Revoke this authorization?"),
    h(
      "p",
      null,
      `${entry.login}'s ${entry.credential_type} `,
      h("span", { class: "mono" }, entry.token_last_eight ?? entry.fingerprint ?? ""),
      ` loses its SSO authorization for ${login}. It cannot be authorized again.`,
    ),
    problem,
    h(
      "div",
      { class: "row" },
      h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
      h(
        "button",
        {
          type: "button",
          class: "danger",
          onclick: async () => {
            try {
              await api(`/orgs/${encodeURIComponent(login)}/credential-authorizations/${entry.credential_id}`, {
                method: "DELETE",
              });
              dialog.close();
              announce(`Revoked the authorization of ${entry.login}'s ${entry.credential_type}`);
              await render();
            } catch (error) {
              problem.replaceChildren(notice(String(error instanceof Error ? error.message : error), "error"));
            }
          },
        },
        "Revoke authorization",
      ),
    ),
  );
  dialog.showModal();
}

/** @param {URLSearchParams} query */
async function auditPage(query) {
  const scopes = state.scopes ?? { enterprises: [], organizations: [] };
  const enterprise = query.get("enterprise");
  const org = query.get("org");
  const phrase = query.get("phrase") ?? "";
  const choice = h(
    "select",
    { id: "audit-scope", name: "scope" },
    ...scopes.enterprises.map((e) =>
      h("option", { value: `enterprise:${e.slug}`, selected: e.slug === enterprise }, `enterprise ${e.slug}`),
    ),
    ...scopes.organizations.map((o) =>
      h("option", { value: `org:${o.login}`, selected: o.login === org }, `organization ${o.login}`),
    ),
  );
  const phraseInput = h("input", {
    id: "audit-phrase",
    name: "phrase",
    value: phrase,
    autocomplete: "off",
    placeholder: "action:org_credential_authorization.revoke",
  });
  const form = h(
    "form",
    {
      role: "search",
      onsubmit: (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        const [kind, name] = /** @type {HTMLSelectElement} */ (choice).value.split(":");
        const q = new URLSearchParams({ [kind === "org" ? "org" : "enterprise"]: name ?? "" });
        const p = /** @type {HTMLInputElement} */ (phraseInput).value.trim();
        if (p) q.set("phrase", p);
        go(`#/audit?${q}`);
      },
    },
    h(
      "div",
      { class: "row" },
      h("label", { for: "audit-scope" }, "Log", choice),
      h("label", { for: "audit-phrase" }, "Search", phraseInput),
      h("button", { type: "submit" }, "Search"),
    ),
  );
  const target = enterprise
    ? `/enterprises/${encodeURIComponent(enterprise)}/audit-log`
    : org
      ? `/orgs/${encodeURIComponent(org)}/audit-log`
      : null;
  if (target === null) {
    show("Audit log", form, h("p", { class: "muted" }, "Choose a log and search, newest first."));
    return;
  }
  // The audit log pages by cursor (GitHub's after/before), which the page's address carries.
  const params = new URLSearchParams({ per_page: query.get("per_page") ?? "30", order: "desc" });
  if (phrase) params.set("phrase", phrase);
  for (const cursor of ["after", "before"]) {
    const value = query.get(cursor);
    if (value) params.set(cursor, value);
  }
  const { data, headers } = await api(`${target}?${params}`);
  const pageLink = (/** @type {string} */ relation, /** @type {string} */ text) => {
    const cursor = linkQuery(headers, relation);
    if (!cursor) return null;
    const q = new URLSearchParams(query);
    q.delete("after");
    q.delete("before");
    for (const name of ["after", "before"]) if (cursor.get(name)) q.set(name, cursor.get(name) ?? "");
    return h("a", { href: `#/audit?${q}` }, text);
  };
  show(
    "Audit log",
    form,
    dataTable(
      ["When", "Action", "Actor", "User", "Organization", "Credential"],
      data.map((/** @type {any} */ event) =>
        h(
          "tr",
          null,
          h("td", null, new Date(event["@timestamp"]).toLocaleString()),
          h("td", null, h("code", null, event.action)),
          h("td", null, event.actor ?? ""),
          h("td", null, event.user ?? ""),
          h("td", null, event.org ?? ""),
          h(
            "td",
            null,
            event.managed_credential_type ?? event.programmatic_access_type ?? "",
            event.managed_token_last_eight ? ` …${event.managed_token_last_eight}` : "",
          ),
        ),
      ),
      "No events.",
    ),
    h("nav", { class: "pager", "aria-label": "Pages" }, pageLink("prev", "Newer"), pageLink("next", "Older")),
  );
}

/** The site admin's page: a credential for a user (its token shown once), or a whole fixture. */
async function adminPage() {
  const result = h("div", { "aria-live": "polite" });
  const login = h("input", { id: "admin-login", required: true, autocomplete: "off" });
  const type = h(
    "select",
    { id: "admin-type" },
    ...["classic_pat", "fine_grained_pat", "oauth_app_token", "github_app_token"].map((t) =>
      h("option", { value: t }, t),
    ),
  );
  const scopes = h("input", { id: "admin-scopes", autocomplete: "off", placeholder: "repo, read:org" });
  const note = h("input", { id: "admin-note", autocomplete: "off" });
  const orgs = h("input", { id: "admin-orgs", autocomplete: "off", placeholder: "acme-eng" });
  const fixture = h("textarea", { id: "admin-fixture", spellcheck: "false" }, '{"users": [{"login": "new_user"}]}');
  const list = (/** @type {HTMLElement} */ input) =>
    /** @type {HTMLInputElement} */ (input).value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  show(
    "Provisioning",
    h("p", { class: "muted" }, "Signed in with the site-admin token: what the admin API provides, by form."),
    h(
      "section",
      { class: "panel", "aria-labelledby": "new-token" },
      h("h2", { id: "new-token" }, "A credential for a user"),
      h(
        "form",
        {
          onsubmit: async (/** @type {SubmitEvent} */ event) => {
            event.preventDefault();
            const kind = /** @type {HTMLSelectElement} */ (type).value;
            /** @type {Record<string, unknown>} */
            const body = { type: kind, note: /** @type {HTMLInputElement} */ (note).value || undefined };
            if (kind === "classic_pat" || kind === "oauth_app_token") body.scopes = list(scopes);
            const authorized = list(orgs);
            if (authorized.length > 0) body.authorized_orgs = authorized;
            try {
              const user = /** @type {HTMLInputElement} */ (login).value.trim();
              const { data } = await api(`/_credauth/admin/users/${encodeURIComponent(user)}/credentials`, {
                method: "POST",
                body,
              });
              result.replaceChildren(
                notice("Created. The token is shown this once; copy it now.", "ok"),
                h("p", null, h("code", { class: "token" }, data.token ?? "(no token)")),
              );
            } catch (error) {
              result.replaceChildren(notice(String(error instanceof Error ? error.message : error), "error"));
            }
          },
        },
        h(
          "div",
          { class: "row" },
          h("label", { for: "admin-login" }, "User", login),
          h("label", { for: "admin-type" }, "Type", type),
          h("label", { for: "admin-scopes" }, "Scopes", scopes),
          h("label", { for: "admin-note" }, "Note", note),
          h("label", { for: "admin-orgs" }, "Authorize for", orgs),
          h("button", { class: "primary", type: "submit" }, "Create"),
        ),
      ),
      result,
    ),
    h(
      "section",
      { class: "panel", "aria-labelledby": "load-fixture" },
      h("h2", { id: "load-fixture" }, "Load a fixture"),
      h(
        "form",
        {
          onsubmit: async (/** @type {SubmitEvent} */ event) => {
            event.preventDefault();
            const out = /** @type {HTMLElement} */ (event.target).querySelector(".fixture-result");
            try {
              const { data } = await api("/_credauth/admin/fixtures", {
                method: "POST",
                body: JSON.parse(/** @type {HTMLTextAreaElement} */ (fixture).value),
              });
              out?.replaceChildren(
                notice(
                  `Loaded: ${Object.entries(data.created)
                    .map(([k, v]) => `${v} ${k}`)
                    .join(", ")}.`,
                  "ok",
                ),
              );
            } catch (error) {
              out?.replaceChildren(notice(String(error instanceof Error ? error.message : error), "error"));
            }
          },
        },
        h("label", { for: "admin-fixture" }, "Fixture (JSON, the fixture file's shape)", fixture),
        h("div", { class: "row" }, h("button", { type: "submit" }, "Load")),
        h("div", { class: "fixture-result", "aria-live": "polite" }),
      ),
    ),
  );
}

window.addEventListener("hashchange", () => void render());
void render();
