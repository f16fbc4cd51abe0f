// @ts-check
// The site admin's page: provisioning by form, what the admin API provides.

import { api } from "./api.js";
import { h, notice, show } from "./dom.js";

/** The site admin's page: a credential for a user (its token shown once), or a whole fixture. */
export async function adminPage() {
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
