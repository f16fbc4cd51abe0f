// @ts-check
// Revocation jobs: the list, and one job followed as it runs (its event stream).

import { API, api } from "./api.js";
import { announce, countsTable, dataTable, h, show } from "./dom.js";
import { onLeave } from "./router.js";

/** @param {string} id */
export async function jobPage(id) {
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
  const stream = new EventSource(`${API}/_credauth/revocations/${encodeURIComponent(id)}/events`);
  stream.addEventListener("revocation", (event) => update(JSON.parse(/** @type {MessageEvent} */ (event).data)));
  stream.addEventListener("error", () => stream.close());
  onLeave(() => stream.close());
}

export async function jobsPage() {
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
