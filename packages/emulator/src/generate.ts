import type { Connection, Identity, User } from "./seed.ts";

/** What a generated tenant looks like; the same options always give the same users. */
export interface GeneratedTenantOptions {
  /** Number of users (top-level accounts; already-linked identities ride inside them). */
  users: number;
  /** Share of users (0..1) that are a second account of someone who already has one. Default 0.1. */
  duplicateRate?: number;
  /** Seed of the generator. Default 1. */
  seed?: number;
}

/**
 * A source of users computed from their index, never stored: a million-user tenant costs no memory until a user
 * is changed (the store keeps changed users only). Ids encode the index, so `get(id)` is a decode, not a search.
 */
export interface UserSource {
  readonly size: number;
  at(index: number): User;
  get(id: string): User | undefined;
  connections: Connection[];
}

// The connections generated users live on (ids shaped as Auth0's: con_ + 16 alphanumerics).
const kinds = [
  {
    share: 0.5,
    connection: { id: "con_GenDb000000000001", name: "Username-Password-Authentication", strategy: "auth0" },
    verified: 0.75,
  },
  {
    share: 0.2,
    connection: { id: "con_GenGoogle0000002", name: "google-oauth2", strategy: "google-oauth2" },
    verified: 0.97,
  },
  {
    share: 0.1,
    connection: { id: "con_GenFacebook00003", name: "facebook", strategy: "facebook" },
    verified: 0.9,
  },
  { share: 0.05, connection: { id: "con_GenApple00000004", name: "apple", strategy: "apple" }, verified: 1 },
  {
    share: 0.1,
    connection: { id: "con_GenSaml000000005", name: "acme-saml", strategy: "samlp" },
    verified: 0.6,
  },
  {
    share: 0.05,
    connection: { id: "con_GenWaad000000006", name: "contoso-azure", strategy: "waad" },
    verified: 0.6,
  },
] as const;
type Kind = (typeof kinds)[number];

// Id shapes per strategy; the index is the trailing part, so an id decodes back to its user.
const idOf = (kind: Kind, index: number): string => {
  switch (kind.connection.strategy) {
    case "auth0":
      return `6a${index.toString(16).padStart(22, "0")}`;
    case "google-oauth2":
      return `1${String(index).padStart(20, "0")}`;
    case "facebook":
      return `10${String(index).padStart(15, "0")}`;
    case "apple":
      return `001${String(index).padStart(6, "0")}.gen.${index.toString(36)}`;
    case "samlp":
      return `acme-saml|emp-${index}`;
    case "waad":
      return `contoso-azure|${index.toString(16)}-gen`;
  }
};

const decoders: [RegExp, (m: string) => number][] = [
  [/^auth0\|6a([0-9a-f]{22})$/, (m) => Number.parseInt(m, 16)],
  [/^google-oauth2\|1(\d{20})$/, Number],
  [/^facebook\|10(\d{15})$/, Number],
  [/^apple\|001\d{6,}\.gen\.([0-9a-z]+)$/, (m) => Number.parseInt(m, 36)],
  [/^samlp\|acme-saml\|emp-(\d+)$/, Number],
  [/^waad\|contoso-azure\|([0-9a-f]+)-gen$/, (m) => Number.parseInt(m, 16)],
];

const firstNames = [
  "alice",
  "bruno",
  "chloe",
  "dmitri",
  "emma",
  "farid",
  "grace",
  "hugo",
  "ines",
  "jonas",
  "kenji",
  "lea",
  "mateo",
  "nora",
  "oscar",
  "priya",
];
const lastNames = [
  "martin",
  "durand",
  "nguyen",
  "schmidt",
  "rossi",
  "garcia",
  "kowalski",
  "smith",
  "tanaka",
  "silva",
  "dubois",
  "novak",
];
const domains = ["example.com", "mail.example", "corp.example", "example.org"];

// A 32-bit mix of (seed, index, salt): every attribute of every user is computed independently of the others.
function hash(seed: number, index: number, salt: number): number {
  let h = (seed * 0x9e3779b1) ^ (index * 0x85ebca6b) ^ (salt * 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

const epoch = Date.UTC(2019, 0, 1);

/** A generated tenant, and its truth: which person each account belongs to (a benchmark's answer key). */
export interface GeneratedTenant extends UserSource {
  /** The index of the account that is this account's person's first: accounts of one person share an email. */
  personOf(index: number): number;
}

/** The deterministic generator behind `idlink-emulator --users N --duplicate-rate R --seed S`. */
export function generatedTenant(options: GeneratedTenantOptions): GeneratedTenant {
  const size = options.users;
  const rate = options.duplicateRate ?? 0.1;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(size) || size < 0) throw new RangeError("users must be a whole number ≥ 0");
  if (!(rate >= 0 && rate <= 1)) throw new RangeError("duplicateRate must be between 0 and 1");
  const random = (index: number, salt: number) => hash(seed, index, salt) / 2 ** 32;
  const isDuplicate = (index: number) => index > 0 && random(index, 1) < rate;
  // The person an account belongs to: a duplicate points at an earlier account (so the chain ends).
  const personOf = (index: number): number => {
    let i = index;
    while (isDuplicate(i)) i = Math.floor(random(i, 2) * i);
    return i;
  };
  const kindOf = (index: number): Kind => {
    let r = random(index, 3);
    for (const kind of kinds) {
      if (r < kind.share) return kind;
      r -= kind.share;
    }
    return kinds[0];
  };

  function at(index: number): User {
    const person = personOf(index);
    const kind = kindOf(index);
    const first = firstNames[hash(seed, person, 10) % firstNames.length] ?? "alex";
    const last = lastNames[hash(seed, person, 11) % lastNames.length] ?? "doe";
    const domain = domains[hash(seed, person, 12) % domains.length] ?? "example.com";
    let email = `${first}.${last}.${person}@${domain}`;
    // Some second accounts typed the address with capitals (Auth0 keeps the case it was given).
    if (person !== index && random(index, 4) < 0.25) email = `${first[0]?.toUpperCase()}${email.slice(1)}`;
    if (person !== index && random(index, 4) >= 0.9) email = email.replace(domain, domain.toUpperCase());
    const provider = kind.connection.strategy;
    const id = idOf(kind, index);
    const userId = `${provider}|${id}`;
    const created = new Date(epoch + index * 60_000 + (hash(seed, index, 5) % 60_000));
    const main: Identity = {
      connection: kind.connection.name,
      provider,
      user_id: id,
      isSocial: provider !== "auth0" && provider !== "samlp" && provider !== "waad",
    };
    const identities: Identity[] = [main];
    // About 3% already linked a Google login to this account.
    if (provider !== "google-oauth2" && random(index, 6) < 0.03) {
      identities.push({
        connection: "google-oauth2",
        provider: "google-oauth2",
        user_id: `2${String(index).padStart(20, "0")}`,
        isSocial: true,
        profileData: { email, email_verified: true },
      });
    }
    return {
      user_id: userId,
      email,
      email_verified: random(index, 7) < kind.verified,
      name: `${first[0]?.toUpperCase()}${first.slice(1)} ${last[0]?.toUpperCase()}${last.slice(1)}`,
      nickname: `${first}.${last}`,
      created_at: created.toISOString(),
      updated_at: created.toISOString(),
      last_login: new Date(created.getTime() + (hash(seed, index, 8) % 1e10)).toISOString(),
      logins_count: hash(seed, index, 9) % 200,
      identities,
    };
  }

  return {
    size,
    at,
    personOf,
    get(id) {
      for (const [pattern, decode] of decoders) {
        const match = pattern.exec(id);
        if (!match?.[1]) continue;
        const index = decode(match[1]);
        if (!Number.isSafeInteger(index) || index < 0 || index >= size) return undefined;
        const user = at(index);
        return user.user_id === id ? user : undefined;
      }
      return undefined;
    },
    connections: kinds.map((k) => ({ ...k.connection })),
  };
}
