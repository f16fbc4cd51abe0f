// The HTTP side of the responder's commands: Octokit, the client GitHub publishes, with its
// pagination, retry and throttling plugins, pointed at credauth or at GitHub itself; and the job
// resource followed as server-sent events (credauth's extension).
import { readFileSync } from "node:fs";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import { Octokit } from "@octokit/core";
import { paginateRest } from "@octokit/plugin-paginate-rest";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { RequestError } from "@octokit/request-error";
import type { ClientConfig } from "../../config.ts";

const Client = Octokit.plugin(paginateRest, retry, throttling);
export type ApiClient = InstanceType<typeof Client>;

/** What the API refused, worded for a person: status and GitHub's message. */
export class ApiRefusal extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiRefusal";
    this.status = status;
  }
}

/** The refusal in an Octokit error, or the error itself when it is not one (a network fault). */
export function refusalOf(error: unknown): unknown {
  if (error instanceof ApiRefusal || !(error instanceof RequestError)) return error;
  // Octokit reports a request that never reached a server as a 500 of its own.
  if (error.response === undefined) {
    const cause = (error.cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
    return new ApiRefusal(0, `cannot reach the API (${cause?.code ?? cause?.message ?? error.message}); check --url`);
  }
  const data = error.response?.data as { message?: string } | string | undefined;
  const message = typeof data === "object" && data?.message ? data.message : error.message;
  return new ApiRefusal(error.status, `${error.status} ${message}`);
}

let trusted: string | null = null;
/** Trusts one more certificate for this process's TLS connections (fetch included). */
function trust(caFile: string): void {
  if (trusted === caFile) return;
  setDefaultCACertificates([...getCACertificates("default"), readFileSync(caFile, "utf8")]);
  trusted = caFile;
}

export interface ClientSession {
  octokit: ApiClient;
  /** Headers for a plain fetch to the same API (the job's event stream). */
  headers: Record<string, string>;
}

/**
 * A client for `config.url`, authenticated with `token` (the user's, or the site admin's for the
 * admin API). Rate limits are waited out twice, then reported; `notify` tells the person why the
 * command pauses.
 */
export function apiClient(
  config: ClientConfig,
  userAgent: string,
  notify: (line: string) => void,
  token: string | null = config.token,
): ClientSession {
  if (config.caFile) trust(config.caFile);
  const octokit = new Client({
    baseUrl: config.url,
    ...(token ? { auth: token } : {}),
    userAgent,
    throttle: {
      onRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => {
        notify(`rate limit reached; waiting ${retryAfter} s`);
        return retryCount < 2;
      },
      onSecondaryRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => {
        notify(`secondary rate limit reached; waiting ${retryAfter} s`);
        return retryCount < 2;
      },
    },
    retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 451] },
  });
  return {
    octokit,
    headers: { "user-agent": userAgent, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  };
}

async function refusalFrom(response: Response): Promise<ApiRefusal> {
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  return new ApiRefusal(response.status, `${response.status} ${body.message ?? response.statusText}`);
}

export interface Job {
  id: number;
  url: string;
  state: "queued" | "running" | "succeeded" | "failed";
  scope: {
    enterprise: string;
    organization: string | null;
    username: string | null;
    credential_type: string | null;
    revoke_credentials: boolean;
  };
  requester: { login: string; id: number | null };
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  error: string | null;
  counts: { authorizations_revoked: Record<string, number>; credentials_destroyed: Record<string, number> };
}

export const isSettled = (job: Job) => job.state === "succeeded" || job.state === "failed";

/**
 * Follows a job until it settles, calling `onChange` with each new state: its event stream
 * (`<job url>/events`), or, where there is none, the job read once a second.
 */
export async function followJob(session: ClientSession, jobUrl: string, onChange: (job: Job) => void): Promise<Job> {
  const response = await fetch(`${jobUrl}/events`, { headers: { ...session.headers, accept: "text/event-stream" } });
  if (response.ok && response.body && /^text\/event-stream/.test(response.headers.get("content-type") ?? "")) {
    let last: Job | null = null;
    let buffer = "";
    const decoder = new TextDecoder();
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (data === undefined) continue;
        last = JSON.parse(data) as Job;
        onChange(last);
      }
    }
    if (last && isSettled(last)) return last;
  } else if (response.status === 404 || response.status === 401 || response.status === 403) {
    throw await refusalFrom(response);
  }
  // No stream (or it broke off): read the job until it settles.
  for (;;) {
    const read = await fetch(jobUrl, { headers: session.headers });
    if (!read.ok) throw await refusalFrom(read);
    const job = (await read.json()) as Job;
    onChange(job);
    if (isSettled(job)) return job;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
