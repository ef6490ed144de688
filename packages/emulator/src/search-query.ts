import type { User } from "./seed.ts";

/**
 * Auth0's user search query syntax (search engine v3, a subset of Lucene's), parsed into a predicate over users.
 *
 * Facts, from auth0/docs-v2 main/docs/manage-users/user-search/user-search-query-syntax.mdx (commit 092b879) unless
 * said otherwise: terms `field:value`, quoted phrases, `*` wildcards (a suffix or inner wildcard needs 3 literal
 * characters: `name:*abc` is allowed, `name:*ab` is not), ranges `[a TO b}` with `*` for an open end, boolean
 * operators, `_exists_:`, nested metadata paths that ignore array levels, no wildcards or ranges on
 * `user_metadata`, case-insensitive values only for email, name, given_name, family_name and nickname, and bare
 * terms that do not match metadata. From auth0/docs (articles/users/search/v3/migrate-search-v2-v3.md, commit
 * 5d3b50e): values are not tokenized (`user_id:auth0` does not match `auth0|12345`: a term matches a whole
 * value; `name:*richard*` finds a word inside). From articles/users/search/v3/query-syntax.md (commit 064a575): `?`
 * is not supported. `connection` is no v3 field: the official document's `connection` parameter says to use
 * `identities.connection` with v3 (openapi/reference/auth0-management-api.linking.oas.json, GET /users). The wording
 * of refusals is the emulator's, except "filter can not be used with unknown field" (observed:
 * ph0lcidae/auth0-exercise test/getUsers.test.js, commit 8c38ad9, 2020).
 */
export interface SearchQuery {
  matches(user: User): boolean;
}

/** One result shape for the parser: the query, or why Auth0 would refuse it. */
export type SearchQueryResult = { ok: true; value: SearchQuery } | { ok: false; issues: string[] };

type Kind = "text" | "text-ci" | "bool" | "int" | "date" | "metadata";

interface Field {
  name: string;
  kind: Kind;
  values(user: User): unknown[];
}

const attribute = (name: string) => (user: User) => present([(user as Record<string, unknown>)[name]].flat());
const identityAttribute = (name: string) => (user: User) =>
  present(user.identities.map((identity) => (identity as Record<string, unknown>)[name]));

// Values Auth0 does not index (null, empty arrays and objects) are absent.
function present(values: unknown[]): unknown[] {
  return values.filter(
    (v) => v !== undefined && v !== null && !(typeof v === "object" && Object.keys(v).length === 0),
  );
}

// The normalized user profile's fields and the searchable ones the docs list beside them.
const rootKinds: Record<string, Kind> = {
  user_id: "text",
  email: "text-ci",
  email_verified: "bool",
  username: "text",
  phone_number: "text",
  phone_verified: "bool",
  name: "text-ci",
  given_name: "text-ci",
  family_name: "text-ci",
  nickname: "text-ci",
  picture: "text",
  locale: "text",
  created_at: "date",
  updated_at: "date",
  last_login: "date",
  last_password_reset: "date",
  last_ip: "text",
  logins_count: "int",
  blocked: "bool",
  multifactor: "text",
  organization_id: "text",
};

const derived: Record<string, Field> = {
  "email.domain": {
    name: "email.domain",
    kind: "text-ci",
    values: (user) => (typeof user.email === "string" ? [user.email.slice(user.email.indexOf("@") + 1)] : []),
  },
  // Every identity counts, linked ones included: the array level is ignored as for metadata.
  "identities.connection": {
    name: "identities.connection",
    kind: "text",
    values: identityAttribute("connection"),
  },
  "identities.provider": { name: "identities.provider", kind: "text", values: identityAttribute("provider") },
  "identities.user_id": {
    name: "identities.user_id",
    kind: "text",
    values: (user) => identityAttribute("user_id")(user).map(String),
  },
  "identities.isSocial": { name: "identities.isSocial", kind: "bool", values: identityAttribute("isSocial") },
};

// A bare term searches these (guessed: the docs say only that bare terms do not match metadata).
const defaultFields = ["user_id", "email", "name", "given_name", "family_name", "nickname", "username"];

/** The searchable field `name`, or undefined when Auth0 does not know it. */
export function searchField(name: string): Field | undefined {
  const kind = Object.hasOwn(rootKinds, name) ? rootKinds[name] : undefined;
  if (kind) return { name, kind, values: attribute(name) };
  if (Object.hasOwn(derived, name)) return derived[name];
  const [root, ...path] = name.split(".");
  if ((root === "app_metadata" || root === "user_metadata") && path.length > 0 && !path.includes("")) {
    return { name, kind: "metadata", values: (user) => metadataValues(user[root], path) };
  }
  return undefined;
}

// Walks a metadata path, ignoring array levels at any depth, down to scalar values.
function metadataValues(node: unknown, path: string[]): unknown[] {
  if (Array.isArray(node)) return node.flatMap((item) => metadataValues(item, path));
  if (path.length === 0) return present([node]).filter((v) => typeof v !== "object");
  if (typeof node !== "object" || node === null) return [];
  const [head = "", ...rest] = path;
  return metadataValues((node as Record<string, unknown>)[head], rest);
}

// ---------------------------------------------------------------------------------------------------------------
// Syntax: a Lucene query string. Precedence NOT > AND > OR; juxtaposed clauses combine as Lucene's default
// operator OR, where `+x` is required and `-x` (or `NOT x`) excluded.

/** A value as written: the literal pieces between unescaped `*` (one piece when there is no wildcard). */
interface Value {
  pieces: string[];
  phrase: boolean;
  /** An unescaped `?` (Auth0 does not support it). */
  question: boolean;
  raw: string;
}

type Node =
  | { kind: "all" }
  | { kind: "and" | "or"; nodes: Node[] }
  | { kind: "not"; node: Node }
  | { kind: "required"; node: Node }
  | { kind: "sequence"; must: Node[]; should: Node[]; mustNot: Node[] }
  | { kind: "term"; field: string | undefined; value: Value }
  | { kind: "exists"; field: string }
  | {
      kind: "range";
      field: string;
      lower: Value | undefined;
      upper: Value | undefined;
      includeLower: boolean;
      includeUpper: boolean;
    };

class SyntaxIssue extends Error {
  override name = "SyntaxIssue" as const;
}

const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);

class Parser {
  private at = 0;
  constructor(private readonly text: string) {}

  parse(): Node {
    const node = this.sequence(undefined);
    this.skip();
    if (this.at < this.text.length) throw this.fail(`unexpected "${this.text[this.at]}"`);
    return node;
  }

  private fail(what: string): SyntaxIssue {
    return new SyntaxIssue(`${what} at position ${this.at}`);
  }

  private skip(): void {
    while (isSpace(this.text[this.at])) this.at++;
  }

  private peekWord(word: string): boolean {
    this.skip();
    if (!this.text.startsWith(word, this.at)) return false;
    const after = this.text[this.at + word.length];
    return after === undefined || isSpace(after) || after === "(" || /[&|]/.test(word);
  }

  private atEnd(): boolean {
    this.skip();
    return this.at >= this.text.length || this.text[this.at] === ")";
  }

  private sequence(field: string | undefined): Node {
    const must: Node[] = [];
    const should: Node[] = [];
    const mustNot: Node[] = [];
    while (!this.atEnd()) {
      const node = this.disjunction(field);
      if (node.kind === "required") must.push(node.node);
      else if (node.kind === "not") mustNot.push(node.node);
      else should.push(node);
    }
    if (must.length + should.length + mustNot.length === 0) return { kind: "all" };
    if (must.length === 0 && mustNot.length === 0 && should.length === 1 && should[0]) return should[0];
    return { kind: "sequence", must, should, mustNot };
  }

  private disjunction(field: string | undefined): Node {
    const nodes = [this.conjunction(field)];
    while (this.peekWord("OR") || this.peekWord("||")) {
      this.at += 2;
      nodes.push(this.conjunction(field));
    }
    return nodes.length === 1 && nodes[0] ? nodes[0] : { kind: "or", nodes };
  }

  private conjunction(field: string | undefined): Node {
    const nodes = [this.clause(field)];
    while (this.peekWord("AND") || this.peekWord("&&")) {
      this.at += this.text.startsWith("AND", this.at) ? 3 : 2;
      nodes.push(this.clause(field));
    }
    return nodes.length === 1 && nodes[0] ? nodes[0] : { kind: "and", nodes };
  }

  private clause(field: string | undefined): Node {
    this.skip();
    if (this.atEnd()) throw this.fail("a term is missing");
    if (this.peekWord("AND") || this.peekWord("OR") || this.peekWord("&&") || this.peekWord("||")) {
      throw this.fail("an operator has no term before it");
    }
    if (this.peekWord("NOT")) {
      this.at += 3;
      return { kind: "not", node: this.clause(field) };
    }
    const c = this.text[this.at];
    if (c === "!" || c === "-") {
      this.at++;
      return { kind: "not", node: this.clause(field) };
    }
    if (c === "+") {
      this.at++;
      return { kind: "required", node: this.clause(field) };
    }
    return this.primary(field);
  }

  private primary(field: string | undefined): Node {
    const c = this.text[this.at];
    if (c === "(") return this.group(field);
    if (c === '"') return { kind: "term", field, value: this.phrase() };
    if (c === "[" || c === "{") {
      if (field === undefined) throw this.fail("a range needs a field");
      return this.range(field);
    }
    const name = this.word(false);
    if (this.text[this.at] === ":" && field === undefined) {
      this.at++;
      return this.fieldValue(name.raw);
    }
    if (name.raw === "") throw this.fail(`unexpected "${c}"`);
    if (field === undefined && name.raw === "*") return { kind: "all" };
    return { kind: "term", field, value: name };
  }

  private fieldValue(field: string): Node {
    const c = this.text[this.at];
    if (c === undefined || isSpace(c) || c === ")") throw this.fail(`the field ${field} has no value`);
    if (c === "(") return this.group(field);
    if (c === '"') return { kind: "term", field, value: this.phrase() };
    if (c === "[" || c === "{") return this.range(field);
    const value = this.word(true);
    if (field === "_exists_") return { kind: "exists", field: value.raw };
    if (field === "*" && value.raw === "*") return { kind: "all" };
    return { kind: "term", field, value };
  }

  private group(field: string | undefined): Node {
    this.at++;
    const node = this.sequence(field);
    if (this.text[this.at] !== ")") throw this.fail("a parenthesis is not closed");
    this.at++;
    return node;
  }

  private phrase(): Value {
    const start = this.at;
    this.at++;
    let text = "";
    while (this.at < this.text.length && this.text[this.at] !== '"') {
      if (this.text[this.at] === "\\") this.at++;
      text += this.text[this.at] ?? "";
      this.at++;
    }
    if (this.text[this.at] !== '"') {
      this.at = start;
      throw this.fail("a quote is not closed");
    }
    this.at++;
    return { pieces: [text], phrase: true, question: false, raw: text };
  }

  /** An unquoted term; `:` ends it unless it is a field's value (so `user_id:samlp|acme|a:b` keeps its colons). */
  private word(isValue: boolean): Value {
    const pieces = [""];
    let raw = "";
    let question = false;
    while (this.at < this.text.length) {
      const c = this.text[this.at] ?? "";
      if (isSpace(c) || c === "(" || c === ")" || c === '"' || (c === ":" && !isValue)) break;
      if ((c === "]" || c === "}") && isValue) break;
      if (c === "\\" && this.at + 1 < this.text.length) {
        const escaped = this.text[this.at + 1] ?? "";
        pieces[pieces.length - 1] += escaped;
        raw += escaped;
        this.at += 2;
        continue;
      }
      if (c === "*") pieces.push("");
      else pieces[pieces.length - 1] += c;
      if (c === "?") question = true;
      raw += c;
      this.at++;
    }
    return { pieces, phrase: false, question, raw };
  }

  private range(field: string): Node {
    const includeLower = this.text[this.at] === "[";
    this.at++;
    this.skip();
    const lower = this.bound();
    this.skip();
    if (!this.text.startsWith("TO", this.at)) throw this.fail('a range needs "TO" between its bounds');
    this.at += 2;
    this.skip();
    const upper = this.bound();
    this.skip();
    const close = this.text[this.at];
    if (close !== "]" && close !== "}") throw this.fail("a range is not closed with ] or }");
    this.at++;
    return { kind: "range", field, lower, upper, includeLower, includeUpper: close === "]" };
  }

  private bound(): Value | undefined {
    const value = this.text[this.at] === '"' ? this.phrase() : this.word(true);
    if (value.raw === "") throw this.fail("a range bound is missing");
    return !value.phrase && value.raw === "*" ? undefined : value;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Meaning: each node compiled to a predicate, refusing what Auth0 refuses.

type Predicate = (user: User) => boolean;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A date written in full or in part (`2020`, `2020-01`, `2020-01-31`, an ISO instant): the period it names. */
export function datePeriod(text: string): { start: number; end: number } | undefined {
  const m =
    /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.exec(
      text,
    );
  if (!m) return undefined;
  const [, year = "", month, day, hour, , seconds, fraction, zone] = m;
  if (hour !== undefined) {
    const start = Date.parse(zone === undefined ? `${text}Z` : text);
    if (Number.isNaN(start)) return undefined;
    return { start, end: start + (fraction !== undefined ? 1 : seconds !== undefined ? 1000 : 60_000) };
  }
  const y = Number(year);
  const mo = month === undefined ? 0 : Number(month) - 1;
  const d = day === undefined ? 1 : Number(day);
  if (mo > 11) return undefined;
  const start = Date.UTC(y, mo, d);
  if (new Date(start).getUTCMonth() !== mo || new Date(start).getUTCDate() !== d) return undefined;
  const end =
    day !== undefined
      ? start + 86_400_000
      : month !== undefined
        ? Date.UTC(y, mo + 1, 1)
        : Date.UTC(y + 1, 0, 1);
  return { start, end };
}

function compile(node: Node, issues: string[]): Predicate {
  switch (node.kind) {
    case "all":
      return () => true;
    case "and": {
      const parts = node.nodes.map((n) => compile(n, issues));
      return (user) => parts.every((p) => p(user));
    }
    case "or": {
      const parts = node.nodes.map((n) => compile(n, issues));
      return (user) => parts.some((p) => p(user));
    }
    case "not": {
      const inner = compile(node.node, issues);
      return (user) => !inner(user);
    }
    case "required":
      return compile(node.node, issues);
    case "sequence": {
      // Lucene's boolean clauses: every required one, none of the excluded ones, and one of the optional ones
      // when nothing is required (a query of exclusions alone matches everything else, as Elasticsearch does).
      const must = node.must.map((n) => compile(n, issues));
      const should = node.should.map((n) => compile(n, issues));
      const mustNot = node.mustNot.map((n) => compile(n, issues));
      return (user) =>
        must.every((p) => p(user)) &&
        !mustNot.some((p) => p(user)) &&
        (must.length > 0 || should.length === 0 || should.some((p) => p(user)));
    }
    case "exists": {
      const field = known(node.field, issues);
      return field ? (user) => field.values(user).length > 0 : () => false;
    }
    case "term":
      return compileTerm(node.field, node.value, issues);
    case "range":
      return compileRange(node, issues);
  }
}

function known(name: string, issues: string[]): Field | undefined {
  const field = searchField(name);
  if (!field) issues.push(`filter can not be used with unknown field "${name}"`);
  return field;
}

function compileTerm(fieldName: string | undefined, value: Value, issues: string[]): Predicate {
  if (value.question) issues.push(`"?" is not supported in a search term (${value.raw}); use "*"`);
  const wildcard = value.pieces.length > 1;
  if (wildcard) {
    const literal = value.pieces.join("").length;
    const prefixOnly = value.pieces.length === 2 && value.pieces[1] === "";
    if (!prefixOnly && literal < 3) {
      issues.push(
        `the wildcard term "${value.raw}" needs at least 3 characters besides "*" unless it is a prefix (name:*abc or name:ab*, not name:*ab)`,
      );
    }
  }
  if (fieldName === undefined) {
    const fields = defaultFields.map((name) => searchField(name)).filter((f) => f !== undefined);
    const parts = fields.map((field) => compileFieldTerm(field, value, issues));
    return (user) => parts.some((p) => p(user));
  }
  const field = known(fieldName, issues);
  if (!field) return () => false;
  if (wildcard && field.name.startsWith("user_metadata.")) {
    issues.push(`user_metadata fields cannot be searched with wildcards (${field.name}:${value.raw})`);
  }
  if (wildcard && value.pieces.length === 2 && value.pieces.every((p) => p === "")) {
    return (user) => field.values(user).length > 0;
  }
  return compileFieldTerm(field, value, issues);
}

function compileFieldTerm(field: Field, value: Value, issues: string[]): Predicate {
  const wildcard = value.pieces.length > 1;
  const text = value.pieces.join("");
  switch (field.kind) {
    case "text":
    case "text-ci":
    case "metadata": {
      const ci = field.kind === "text-ci";
      if (wildcard) {
        const pattern = new RegExp(`^${value.pieces.map(escapeRegExp).join(".*")}$`, ci ? "is" : "s");
        return (user) => field.values(user).some((v) => typeof v === "string" && pattern.test(v));
      }
      const wanted = ci ? text.toLowerCase() : text;
      const number = text.trim() === "" ? Number.NaN : Number(text);
      return (user) =>
        field
          .values(user)
          .some((v) =>
            typeof v === "string"
              ? (ci ? v.toLowerCase() : v) === wanted
              : typeof v === "number"
                ? v === number
                : typeof v === "boolean" && String(v) === text,
          );
    }
    case "bool":
      return (user) => !wildcard && field.values(user).some((v) => String(v) === text);
    case "int": {
      const number = Number(text);
      return (user) => !wildcard && field.values(user).some((v) => v === number);
    }
    case "date": {
      if (wildcard) return () => false;
      const period = datePeriod(text);
      if (!period) {
        issues.push(
          `"${text}" is not a date (${field.name}); write 2020, 2020-01, 2020-01-31 or an ISO instant`,
        );
        return () => false;
      }
      return (user) =>
        field.values(user).some((v) => {
          const t = typeof v === "string" ? Date.parse(v) : Number.NaN;
          return t >= period.start && t < period.end;
        });
    }
  }
}

function compileRange(node: Extract<Node, { kind: "range" }>, issues: string[]): Predicate {
  const field = known(node.field, issues);
  if (!field) return () => false;
  if (field.name.startsWith("user_metadata.")) {
    issues.push(`user_metadata fields cannot be searched with ranges (${field.name})`);
    return () => false;
  }
  for (const bound of [node.lower, node.upper]) {
    if (bound && bound.pieces.length > 1) issues.push(`a range bound cannot hold a wildcard (${bound.raw})`);
  }
  const lowerText = node.lower?.pieces.join("");
  const upperText = node.upper?.pieces.join("");
  if (field.kind === "date") {
    // As Elasticsearch rounds partial dates: an inclusive upper or exclusive lower bound covers its whole period
    // (so `last_login:[2025-12-01 TO 2025-12-31]` includes the 31st, as the docs' example means).
    const lower = lowerText === undefined ? undefined : datePeriod(lowerText);
    const upper = upperText === undefined ? undefined : datePeriod(upperText);
    for (const [text, period] of [
      [lowerText, lower],
      [upperText, upper],
    ] as const) {
      if (text !== undefined && !period) {
        issues.push(
          `"${text}" is not a date (${field.name}); write 2020, 2020-01, 2020-01-31 or an ISO instant`,
        );
        return () => false;
      }
    }
    const from = lower ? (node.includeLower ? lower.start : lower.end) : Number.NEGATIVE_INFINITY;
    const to = upper ? (node.includeUpper ? upper.end : upper.start) : Number.POSITIVE_INFINITY;
    return (user) =>
      field.values(user).some((v) => {
        const t = typeof v === "string" ? Date.parse(v) : Number.NaN;
        return t >= from && t < to;
      });
  }
  const ci = field.kind === "text-ci";
  const key = (v: unknown): number | string | undefined =>
    typeof v === "number" ? v : typeof v === "string" ? (ci ? v.toLowerCase() : v) : undefined;
  const bound = (text: string | undefined) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    return field.kind === "int" || (field.kind === "metadata" && text.trim() !== "" && !Number.isNaN(n))
      ? n
      : ci
        ? text.toLowerCase()
        : text;
  };
  const lower = bound(lowerText);
  const upper = bound(upperText);
  return (user) =>
    field.values(user).some((raw) => {
      const v = key(raw);
      if (v === undefined || (lower !== undefined && typeof v !== typeof lower)) return false;
      if (upper !== undefined && typeof v !== typeof upper) return false;
      if (lower !== undefined && (node.includeLower ? v < lower : v <= lower)) return false;
      if (upper !== undefined && (node.includeUpper ? v > upper : v >= upper)) return false;
      return true;
    });
}

/** Parses `q` as Auth0's search engine v3 reads it; an empty query matches every user. */
export function parseSearchQuery(q: string): SearchQueryResult {
  let node: Node;
  try {
    node = new Parser(q).parse();
  } catch (error) {
    if (error instanceof SyntaxIssue)
      return { ok: false, issues: [`the query cannot be parsed: ${error.message}`] };
    throw error;
  }
  const issues: string[] = [];
  const matches = compile(node, issues);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: { matches } };
}
