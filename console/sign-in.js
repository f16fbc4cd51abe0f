// @ts-check
// Signing in: a token exchanged for a session cookie, kept nowhere in the browser.

import { ApiError, api, CONSOLE, state } from "./api.js";
import { announce, h, notice, show } from "./dom.js";
import { refresh } from "./router.js";

export function signInPage() {
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
          refresh();
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
