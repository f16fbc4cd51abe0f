// @ts-check
// An enterprise's Authentication security page: what is SSO-authorized, and its Danger zone.

import { api, state } from "./api.js";
import { countsTable, h, show } from "./dom.js";
import { revokeForm } from "./revoke-form.js";

const CREDENTIAL_TYPES = ["classic_pat", "fine_grained_pat", "ssh_key", "oauth_app_token"];

/** @param {string} slug */
export async function enterprisePage(slug) {
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
