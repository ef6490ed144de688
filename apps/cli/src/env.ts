/** The environment idlink reads, validated once by main.ts and passed down. */
export interface Env {
  /**
   * The environment as it is, for core's credential rule (which names an empty variable) and profiles (whose
   * secrets come from the variables they name, and whose config file is found through IDLINK_CONFIG, XDG_CONFIG_HOME
   * or HOME).
   */
  credentials: Readonly<Record<string, string | undefined>>;
  /** NO_COLOR set to anything non-empty (https://no-color.org). */
  noColor: boolean;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

/** Reads NO_COLOR, and keeps the environment for the tenant, the credential rule and profiles. */
export function readEnv(source: Record<string, string | undefined>): Env {
  return {
    credentials: { ...source },
    noColor: nonEmpty(source.NO_COLOR) !== undefined,
  };
}
