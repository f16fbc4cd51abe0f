// `credauth jobs [list | show ID | watch ID]`: the revocation jobs the caller could have started.
import { ConfigError } from "../../config.ts";
import type { ClientSession, Job } from "./api.ts";
import type { Output } from "./output.ts";
import { watch } from "./revoke.ts";

export interface JobsListOptions {
  state?: string;
  enterprise?: string;
  org?: string;
  json?: boolean;
}

const scopeOf = (job: Job) =>
  [
    job.scope.organization ? `org ${job.scope.organization}` : `enterprise ${job.scope.enterprise}`,
    job.scope.username ? `user ${job.scope.username}` : null,
    job.scope.credential_type,
    job.scope.revoke_credentials ? "destroy" : null,
  ]
    .filter(Boolean)
    .join(", ");

export async function listJobs(session: ClientSession, out: Output, options: JobsListOptions): Promise<number> {
  const jobs = (await session.octokit.paginate("GET /_credauth/revocations", {
    per_page: 100,
    ...(options.state ? { state: options.state } : {}),
    ...(options.enterprise ? { enterprise: options.enterprise } : {}),
    ...(options.org ? { organization: options.org } : {}),
  })) as Job[];
  if (options.json || !out.terminal) {
    out.json(jobs);
    return 0;
  }
  if (jobs.length === 0) {
    out.line("No revocation jobs you can see.");
    return 0;
  }
  out.table(
    ["ID", "STATE", "SCOPE", "REQUESTER", "CREATED", "REVOKED", "DESTROYED"],
    jobs.map((job) => [
      job.id,
      job.state,
      scopeOf(job),
      job.requester.login,
      job.created_at.replace(/\.\d+Z$/, "Z"),
      job.counts.authorizations_revoked.total ?? 0,
      job.counts.credentials_destroyed.total ?? 0,
    ]),
  );
  return 0;
}

function jobPath(id: string): string {
  if (!/^[1-9]\d{0,15}$/.test(id)) throw new ConfigError(`a job id is a number, got ${JSON.stringify(id)}.`);
  return `/_credauth/revocations/${id}`;
}

export async function showJob(session: ClientSession, out: Output, id: string, json: boolean): Promise<number> {
  const job = (await session.octokit.request(`GET ${jobPath(id)}`)).data as Job;
  if (json || !out.terminal) {
    out.json(job);
    return 0;
  }
  const rows: [string, string | number][] = [
    ["id", job.id],
    ["state", job.state],
    ["scope", scopeOf(job)],
    ["requester", job.requester.login],
    ["created", job.created_at],
    ["started", job.started_at ?? "-"],
    ["completed", job.completed_at ?? "-"],
    ["revoked", JSON.stringify(job.counts.authorizations_revoked)],
    ["destroyed", JSON.stringify(job.counts.credentials_destroyed)],
  ];
  if (job.error) rows.push(["error", job.error]);
  for (const [name, value] of rows) out.line(`${out.bold(name.padEnd(10))} ${value}`);
  return 0;
}

/** Follows the job to its end; exit code 0 when it succeeded, 1 when it failed. */
export async function watchJob(session: ClientSession, out: Output, id: string, json: boolean): Promise<number> {
  const job = (await session.octokit.request(`GET ${jobPath(id)}`)).data as Job;
  const settled = await watch(session, out, job.url, 0, json);
  return settled.state === "succeeded" ? 0 : 1;
}
