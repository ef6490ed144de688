/** The environment idlink reads, validated once by main.ts and passed down. */
export interface Env {
  domain: string | undefined;
  token: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** NO_COLOR set to anything non-empty (https://no-color.org). */
  noColor: boolean;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

/** Reads AUTH0_DOMAIN, AUTH0_TOKEN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET and NO_COLOR; empty means unset. */
export function readEnv(source: Record<string, string | undefined>): Env {
  return {
    domain: nonEmpty(source.AUTH0_DOMAIN),
    token: nonEmpty(source.AUTH0_TOKEN),
    clientId: nonEmpty(source.AUTH0_CLIENT_ID),
    clientSecret: nonEmpty(source.AUTH0_CLIENT_SECRET),
    noColor: nonEmpty(source.NO_COLOR) !== undefined,
  };
}
