// @ts-check
// A revoke form of the Danger zone: Preview (the exact dry run), the slug typed to confirm, Revoke.

import { api } from "./api.js";
import { announce, h, notice } from "./dom.js";
import { go } from "./router.js";

/**
 * One revoke form of the Danger zone: fields, then Preview (the exact dry run), then the slug typed
 * to confirm, then Revoke, which opens the job.
 * @param {{ id: string; title: string; slug: string; emu: boolean; fields: [string, string, HTMLElement][]; path: (values: Record<string, string>) => string }} spec
 */
export function revokeForm(spec) {
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
