// @ts-check
// Home: the enterprises the signed-in user manages and the organizations they own.

import { state } from "./api.js";
import { h, show } from "./dom.js";

export function homePage() {
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
