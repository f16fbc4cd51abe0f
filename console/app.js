// @ts-check
// The credauth console: one page, plain JavaScript, no framework and nothing fetched from elsewhere.
// It signs in by exchanging a token for a session cookie (POST /_credauth/console/session), then
// calls the API under /_credauth/console/api/…, where every route answers to that cookie with the
// same rules as for the token; each change carries the session's CSRF token.
// This module routes: each page is a module of its own, and the shared parts are dom.js (building
// elements), api.js (the session and requests) and router.js (addresses).
import { adminPage } from "./admin.js";
import { ApiError, api, CONSOLE, SIGNED_OUT, state } from "./api.js";
import { auditPage } from "./audit.js";
import { announce, h, notice, show } from "./dom.js";
import { enterprisePage } from "./enterprise.js";
import { homePage } from "./home.js";
import { jobPage, jobsPage } from "./jobs.js";
import { organizationPage } from "./organization.js";
import { go, leave, route } from "./router.js";
import { signInPage } from "./sign-in.js";

async function render() {
  leave();
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

window.addEventListener(SIGNED_OUT, () => renderHeader());
window.addEventListener("hashchange", () => void render());
void render();
