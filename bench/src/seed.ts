import { defaultSeed, type Seed } from "@idlink/emulator";

export interface Pair {
  primary: string;
  secondary: string;
}

/** A tenant with `count` primary/secondary pairs (auth0 primaries, github secondaries) on top of the default seed. */
export function pairsSeed(count: number, tag = "b"): { seed: Seed; pairs: Pair[] } {
  const base = defaultSeed();
  const pairs: Pair[] = [];
  const users: Seed["users"] = [];
  for (let i = 0; i < count; i++) {
    const p = `${tag}${String(i).padStart(6, "0")}`;
    const primary = {
      user_id: `auth0|${p}`,
      identities: [{ provider: "auth0", user_id: p, connection: "Username-Password-Authentication" }],
    };
    const secondary = {
      user_id: `github|${p}`,
      identities: [{ provider: "github", user_id: p, connection: "github" }],
    };
    users.push(
      { ...primary, email: `${p}@example.com`, email_verified: true },
      { ...secondary, email: `${p}@example.com`, email_verified: true },
    );
    pairs.push({ primary: primary.user_id, secondary: secondary.user_id });
  }
  return { seed: { ...base, users: [...base.users, ...users] }, pairs };
}
