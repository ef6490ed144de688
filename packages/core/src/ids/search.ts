import type { Issue } from "../present/errors.ts";
import { echo } from "../present/text.ts";
import type { SecondaryId } from "./user-id.ts";

/**
 * A user search, as `client.searchUsers` takes it. Auth0's engine v3 reads `q` in its subset of Lucene's syntax
 * (auth0/docs-v2 main/docs/manage-users/user-search/user-search-query-syntax.mdx) and answers at most the first 1000
 * matches, 100 a page (list-and-search-users.mdx, view-search-results-by-page).
 */
export interface UserSearch {
  /** The query: `email:"jane@example.com"`, `identities.connection:"github"`; build values with `searchPhrase`. */
  q: string;
  /** The page, from 0. */
  page?: number;
  /** Users a page, 1 to 100 (Auth0's default 50). */
  perPage?: number;
  /** `field:1` ascending or `field:-1` descending, e.g. `created_at:1`. */
  sort?: string;
  /** Only these fields (or, with `includeFields: false`, all but these). */
  fields?: readonly string[];
  includeFields?: boolean;
}

/** The most users a search page holds, and the most matches a search reaches through its pages. */
export const searchLimits = { perPage: 100, reachable: 1000 } as const;

const maxQueryLength = 4096;
const sortPattern = /^[A-Za-z_][\w.]*:(1|-1)$/;
const fieldPattern = /^[A-Za-z_][\w.]*$/;

/** What is wrong with a search before it is sent: each issue names its field and the fix. */
export function checkUserSearch(search: UserSearch): Issue[] {
  const issues: Issue[] = [];
  const { q, page = 0, perPage = 50, sort, fields } = search;
  if (typeof q !== "string" || q.trim() === "") {
    issues.push({ path: "q", message: 'q must be a query like email:"jane@example.com" — it is empty' });
  } else if (q.length > maxQueryLength) {
    issues.push({
      path: "q",
      message: `q is ${q.length} characters long — keep a query under ${maxQueryLength}`,
    });
  }
  if (!Number.isInteger(page) || page < 0) {
    issues.push({ path: "page", message: `page must be a whole number from 0 — got ${echo(String(page))}` });
  }
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > searchLimits.perPage) {
    issues.push({
      path: "perPage",
      message: `perPage must be a whole number from 1 to ${searchLimits.perPage} — got ${echo(String(perPage))}`,
    });
  } else if (Number.isInteger(page) && (page + 1) * perPage > searchLimits.reachable) {
    issues.push({
      path: "page",
      message: `search reaches only the first ${searchLimits.reachable} matches (page ${page} of ${perPage} goes past them) — narrow q, or read every user with an export job`,
    });
  }
  if (sort !== undefined && !sortPattern.test(sort)) {
    issues.push({
      path: "sort",
      message: `sort must be field:1 (ascending) or field:-1 (descending), e.g. created_at:1 — got ${echo(sort)}`,
    });
  }
  for (const field of fields ?? []) {
    if (!fieldPattern.test(field)) {
      issues.push({
        path: "fields",
        message: `fields holds ${echo(field)} — give field names like email, user_id`,
      });
    }
  }
  return issues;
}

/**
 * A value as a quoted phrase of the query syntax: `"…"`, with `\` and `"` escaped, so that ids with `|`, spaces or
 * Lucene's special characters (`+ - && || ! ( ) { } [ ] ^ ~ * ? : /`) are matched as they are, not parsed.
 */
export function searchPhrase(value: string | number): string {
  return `"${String(value).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The query for the users that hold an identity: its `user_id` and `provider` on `identities` (searchable fields of
 * user-search-query-syntax.mdx). Both terms may match two different identities of one user: check the answer with
 * `holdsIdentity`.
 */
export function identityQuery(identity: SecondaryId): string {
  return `identities.user_id:${searchPhrase(identity.user_id)} AND identities.provider:${searchPhrase(identity.provider)}`;
}
