/** The environment idlink reads, validated once by main.ts and passed down. */
export interface Env {
  /** AUTH0_DOMAIN, trimmed; unset when empty. */
  domain: string | undefined;
  /** AUTH0_TOKEN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET as they are: core's credential rule names an empty one. */
  credentials: Readonly<Record<string, string | undefined>>;
  /** NO_COLOR set to anything non-empty (https://no-color.org). */
  noColor: boolean;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

/** Reads AUTH0_DOMAIN, AUTH0_TOKEN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET and NO_COLOR. */
export function readEnv(source: Record<string, string | undefined>): Env {
  return {
    domain: nonEmpty(source.AUTH0_DOMAIN),
    credentials: {
      AUTH0_TOKEN: source.AUTH0_TOKEN,
      AUTH0_CLIENT_ID: source.AUTH0_CLIENT_ID,
      AUTH0_CLIENT_SECRET: source.AUTH0_CLIENT_SECRET,
    },
    noColor: nonEmpty(source.NO_COLOR) !== undefined,
  };
}
