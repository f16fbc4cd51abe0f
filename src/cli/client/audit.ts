// `credauth audit --enterprise E | --org O [--phrase …]`: every page of an audit log, streamed as
// JSON lines (one event a line, as they arrive), for a SIEM or jq.
import { ConfigError } from "../../config.ts";
import type { ClientSession } from "./api.ts";

export interface AuditOptions {
  enterprise?: string;
  org?: string;
  phrase?: string;
  order?: string;
}

export async function audit(session: ClientSession, options: AuditOptions): Promise<number> {
  if (Boolean(options.enterprise) === Boolean(options.org))
    throw new ConfigError("name the log: --enterprise SLUG or --org LOGIN (one of them).");
  if (options.order !== undefined && options.order !== "asc" && options.order !== "desc")
    throw new ConfigError(`--order is asc or desc, got ${JSON.stringify(options.order)}.`);
  const route = options.enterprise ? "GET /enterprises/{enterprise}/audit-log" : "GET /orgs/{org}/audit-log";
  const parameters = {
    ...(options.enterprise ? { enterprise: options.enterprise } : { org: options.org }),
    per_page: 100,
    ...(options.phrase ? { phrase: options.phrase } : {}),
    ...(options.order ? { order: options.order } : {}),
  };
  for await (const page of session.octokit.paginate.iterator(route, parameters)) {
    for (const event of page.data as unknown[]) process.stdout.write(`${JSON.stringify(event)}\n`);
  }
  return 0;
}
