import { authenticate, insufficientScope } from "../auth.ts";
import { ApiError, badRequest } from "../errors.ts";
import type { Router } from "../router.ts";
import { parseSearchQuery, searchField } from "../search-query.ts";
import type { User } from "../seed.ts";
import { presentUser } from "../store.ts";
import { type ManagementDeps, pickFields, readFieldsQuery } from "./management.ts";

// List or search users (GET /api/v2/users), as openapi/management-api.yaml (get_users) and the fidelity corpus's
// `user-search` observations describe it.

// Descriptions of the official document's parameters: Auth0's query validator names the property and adds its
// description without the final period (observed on another operation's per_page, node-auth0 issue 648: "Query
// validation error: 'Value 1000 is greater than maximum 100' on property per_page (Number of results per page.
// Defaults to 50).").
const descriptions: Record<string, string> = {
  page: "Page index of the results to return. First page is 0",
  per_page: "Number of results per page",
  include_totals:
    "Return results inside an object that contains the total result count (true) or as a direct array of results (false, default)",
  sort: "Field to sort by. Use field:order where order is 1 for ascending and -1 for descending. e.g. created_at:1",
  search_engine: "The version of the search engine",
  primary_order:
    "If true (default), results are returned in a deterministic order. If false, results may be returned in a non-deterministic order, which can enhance performance for complex queries targeting a small number of users. Set to false only when consistent ordering and pagination is not required",
};
// Every parameter of the official document; `fields` and `include_fields` are read by readFieldsQuery, `connection`
// filters only search engine v1 (so v3 ignores it).
const parameterNames = new Set([...Object.keys(descriptions), "connection", "fields", "include_fields", "q"]);
const invalidQuery = (detail: string, property: string) =>
  badRequest(
    `Query validation error: '${detail}' on property ${property} (${descriptions[property]}).`,
    "invalid_query_string",
  );

// Observed: auth0/auth0.net issue 979 (2026) and auth0/node-auth0 issue 1246 (2025) quote this answer.
const pagingLimit = 1000;
const beyondPagingLimit = () =>
  badRequest(
    "You can only page through the first 1000 records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation",
    "invalid_paging",
  );
// Observed for v1 (auth0/auth0-java EXAMPLES.md, errorCode operation_not_supported); v2's message is the official
// document's (x-description-3), its errorCode assumed the same.
const engineRefused = (engine: "v1" | "v2") =>
  badRequest(
    engine === "v1"
      ? "You are not allowed to use search_engine=v1."
      : "You are not allowed to use search_engine=v2. Use search_engine=v3 instead.",
    "operation_not_supported",
  );
// The pattern Auth0's SDKs check sort against (auth0/ruby-auth0 lib/auth0/api/v2/users.rb, commit cce6e76).
const sortPattern = /^(([a-zA-Z0-9_.]+)):(1|-1)$/;

function integer(query: URLSearchParams, name: string, max?: number): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^-?\d+$/.test(raw.trim())) {
    const type = raw.trim() !== "" && !Number.isNaN(Number(raw)) ? "number" : "string";
    throw invalidQuery(`Expected type integer but found type ${type}`, name);
  }
  const value = Number(raw);
  if (value < 0) throw invalidQuery(`Value ${value} is less than minimum 0`, name);
  if (max !== undefined && value > max)
    throw invalidQuery(`Value ${value} is greater than maximum ${max}`, name);
  return value;
}

function boolean(query: URLSearchParams, name: string): boolean | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (raw !== "true" && raw !== "false")
    throw invalidQuery("Expected type boolean but found type string", name);
  return raw === "true";
}

/** Where a user falls in the answer, computed once per match: the sort field's value, then the default order. */
interface Rank {
  user: User;
  /** The `sort` field's value; undefined when the user lacks it (or there is no sort). */
  value: number | string | undefined;
  created: number;
}

const time = (value: unknown) => (typeof value === "string" ? Date.parse(value) || 0 : 0);

// Without `sort`, Auth0 answers the newest users first (observed: ruby-auth0's cassette
// Auth0_Api_V2_Jobs/delete_imported_user.yml, five matches by descending created_at; ph0lcidae/auth0-exercise
// test/getUsers.test.js, the same for a sort on an unknown field). Equal times fall back to user_id (modelled:
// primary_order's "deterministic order").
const defaultOrder = (a: Rank, b: Rank) =>
  b.created - a.created || (a.user.user_id < b.user.user_id ? -1 : a.user.user_id > b.user.user_id ? 1 : 0);

/**
 * How `sort=field:1|-1` ranks users; a field Auth0 cannot sort by (unknown, metadata) keeps the default order.
 * Users without the field come last either way, as Elasticsearch sorts missing values.
 */
function rankingOf(sort: string | null): { rank: (user: User) => Rank; order: (a: Rank, b: Rank) => number } {
  const match = sort === null ? null : sortPattern.exec(sort);
  const field = match?.[2] === undefined ? undefined : searchField(match[2]);
  const direction = match?.[3] === "-1" ? -1 : 1;
  const sortValue = (user: User): number | string | undefined => {
    if (!field || field.kind === "metadata") return undefined;
    const [value] = field.values(user);
    if (field.kind === "date") return typeof value === "string" ? Date.parse(value) : undefined;
    if (typeof value === "boolean") return value ? 1 : 0;
    return typeof value === "number" || typeof value === "string" ? value : undefined;
  };
  return {
    rank: (user) => ({ user, value: sortValue(user), created: time(user.created_at) }),
    order: (a, b) => {
      const x = a.value;
      const y = b.value;
      if (x === undefined || y === undefined)
        return Number(x === undefined) - Number(y === undefined) || defaultOrder(a, b);
      return (x < y ? -direction : x > y ? direction : 0) || defaultOrder(a, b);
    },
  };
}

/**
 * The first `size` matches in order, kept in a bounded heap while every match is counted: one pass over the
 * tenant whatever its size (a million generated users), never more than 1000 users held, each ranked once.
 */
function firstInOrder(
  users: Iterable<User>,
  keep: (user: User) => boolean,
  { rank, order }: ReturnType<typeof rankingOf>,
  size: number,
): { total: number; first: User[] } {
  const heap: Rank[] = []; // the worst kept match on top
  const worse = (i: number, j: number) => order(heap[i] as Rank, heap[j] as Rank) > 0;
  const swap = (i: number, j: number) => {
    const t = heap[i] as Rank;
    heap[i] = heap[j] as Rank;
    heap[j] = t;
  };
  let total = 0;
  for (const user of users) {
    if (!keep(user)) continue;
    total++;
    if (size === 0) continue;
    const ranked = rank(user);
    if (heap.length < size) {
      heap.push(ranked);
      for (let i = heap.length - 1; i > 0 && worse(i, (i - 1) >> 1); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
      continue;
    }
    if (order(ranked, heap[0] as Rank) >= 0) continue;
    heap[0] = ranked;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && worse(l, top)) top = l;
      if (r < heap.length && worse(r, top)) top = r;
      if (top === i) break;
      swap(i, top);
      i = top;
    }
  }
  return { total, first: heap.sort(order).map((ranked) => ranked.user) };
}

/** Registers GET /api/v2/users: `q` (search engine v3), paging, `include_totals`, `sort`, `fields`. */
export function registerUsersSearch(router: Router, deps: ManagementDeps): void {
  const { store, tokens } = deps;
  router.add("GET", "/api/v2/users", async (req) => {
    const who = await authenticate(tokens, req.headers.authorization);
    if (!who.scopes.has("read:users")) throw insufficientScope(["read:users"]);
    const { query } = req;
    // Unknown parameters are refused, as users-by-email's are (observed there: auth0/auth0.net issue 157).
    const unknown = [...new Set(query.keys())].filter((key) => !parameterNames.has(key));
    if (unknown.length > 0) {
      throw badRequest(
        `Query validation error: 'Additional properties not allowed: ${unknown.join(",")}'.`,
        "invalid_query_string",
      );
    }
    const page = integer(query, "page") ?? 0;
    const perPage = integer(query, "per_page", 100) ?? 50;
    const includeTotals = boolean(query, "include_totals") ?? false;
    boolean(query, "primary_order"); // validated; the emulator's order is always deterministic
    const fields = readFieldsQuery(query);
    const sort = query.get("sort");
    if (sort !== null && !sortPattern.test(sort)) {
      throw invalidQuery(`String does not match pattern ^(([a-zA-Z0-9_\\.]+))\\:(1|-1)$: ${sort}`, "sort");
    }
    const engine = query.get("search_engine");
    if (engine !== null && engine !== "v3") {
      if (engine === "v1" || engine === "v2") throw engineRefused(engine);
      throw invalidQuery(`No enum match for: ${JSON.stringify(engine)}`, "search_engine");
    }
    // Elasticsearch's rule (from + size within the window); the docs: "100 users per page for 10 pages".
    if ((page + 1) * perPage > pagingLimit) throw beyondPagingLimit();
    const parsed = parseSearchQuery(query.get("q") ?? "");
    if (!parsed.ok) throw new ApiError(400, parsed.issues.join("; "), "invalid_query_string");
    const start = page * perPage;
    const { total, first } = firstInOrder(
      store.iterate(),
      parsed.value.matches,
      rankingOf(sort),
      start + perPage,
    );
    const withTokens = who.scopes.has("read:user_idp_tokens");
    const users = first
      .slice(start)
      .map((user) => pickFields(presentUser(structuredClone(user), withTokens), fields));
    return {
      status: 200,
      body: includeTotals ? { start, limit: perPage, length: users.length, users, total } : users,
    };
  });
}
