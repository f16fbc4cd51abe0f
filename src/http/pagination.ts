// GitHub's page-number pagination: `per_page` (default 30, at most 100) and `page` (from 1),
// with a Link header that carries `per_page` and the other query parameters along.
import { Errors } from "../errors.ts";

export interface Pagination {
  perPage: number;
  page: number;
}

function positiveInteger(name: string, raw: unknown): number | null {
  if (raw === undefined || raw === "") return null;
  const text = String(raw);
  if (!/^\d{1,9}$/.test(text))
    throw Errors.invalidRequest(`For 'properties/${name}', ${JSON.stringify(text)} is not an integer.`);
  return Number(text);
}

export function parsePagination(query: Record<string, unknown>): Pagination {
  const perPage = positiveInteger("per_page", query.per_page) ?? 30;
  const page = positiveInteger("page", query.page) ?? 1;
  // GitHub clamps out-of-range values rather than refusing them.
  return { perPage: Math.min(100, Math.max(1, perPage)), page: Math.max(1, page) };
}

/** `<…page=2>; rel="next", <…page=5>; rel="last", …`; undefined when everything fits one page. */
export function paginationLinks(requestUrl: string, pagination: Pagination, total: number): string | undefined {
  const lastPage = Math.max(1, Math.ceil(total / pagination.perPage));
  if (lastPage === 1 && pagination.page === 1) return undefined;
  const link = (page: number, rel: string) => {
    const url = new URL(requestUrl);
    url.searchParams.set("per_page", String(pagination.perPage));
    url.searchParams.set("page", String(page));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pagination.page > 1) links.push(link(Math.min(pagination.page - 1, lastPage), "prev"));
  if (pagination.page < lastPage) links.push(link(pagination.page + 1, "next"));
  links.push(link(lastPage, "last"));
  if (pagination.page > 1) links.push(link(1, "first"));
  return links.join(", ");
}
