/** The environment idlink reads, validated once by main.ts and passed down. */
export interface Env {
  /**
   * The environment as it is, for core's credential rule (which names an empty variable) and profiles (whose
   * secrets come from the variables they name, and whose config file is found through IDLINK_CONFIG, XDG_CONFIG_HOME
   * or HOME).
   */
  credentials: Readonly<Record<string, string | undefined>>;
  /**
   * `never` when NO_COLOR is set to anything non-empty (https://no-color.org) or FORCE_COLOR is 0/false; `always`
   * when FORCE_COLOR is set otherwise (https://force-color.org; it wins over NO_COLOR, as in Node); else `auto`:
   * colour on a terminal only. The `--no-color` flag wins over both.
   */
  color: "auto" | "always" | "never";
  /**
   * IDLINK_DEBUG: 1/true/yes is the same as --debug; unset, empty, 0/false/no is off; anything else is kept as
   * given, for the command to refuse with a message (as the MCP server and the demo server refuse it at start).
   */
  debug: boolean | { invalid: string };
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

const off = (value: string) => ["0", "false", "no"].includes(value.toLowerCase());

/** Reads NO_COLOR, FORCE_COLOR and IDLINK_DEBUG, and keeps the environment for the tenant, the credential rule and
 *  profiles. */
export function readEnv(source: Record<string, string | undefined>): Env {
  return {
    credentials: { ...source },
    color: colorOf(source.FORCE_COLOR, source.NO_COLOR),
    debug: debugOf(nonEmpty(source.IDLINK_DEBUG)),
  };
}

function debugOf(value: string | undefined): Env["debug"] {
  if (value === undefined || off(value)) return false;
  return ["1", "true", "yes"].includes(value.toLowerCase()) || { invalid: value };
}

function colorOf(force: string | undefined, no: string | undefined): Env["color"] {
  if (force !== undefined) return off(force.trim()) ? "never" : "always";
  return nonEmpty(no) === undefined ? "auto" : "never";
}
