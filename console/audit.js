// @ts-check
// The audit log of an enterprise or organization: searched by phrase, paged by cursor, newest first.

import { api, linkQuery, state } from "./api.js";
import { dataTable, h, show } from "./dom.js";
import { go } from "./router.js";

/** @param {URLSearchParams} query */
export async function auditPage(query) {
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
