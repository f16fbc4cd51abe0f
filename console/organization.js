// @ts-check
// An organization's SSO-authorized credentials, paged and filtered, each revocable on its own.

import { api, link } from "./api.js";
import { announce, dataTable, h, notice, show } from "./dom.js";
import { go, refresh } from "./router.js";

/** @param {string} login @param {URLSearchParams} query */
export async function organizationPage(login, query) {
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
              refresh();
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
