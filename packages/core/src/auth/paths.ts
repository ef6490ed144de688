/**
 * A path as people write it where no shell reads it — an MCP client's JSON config, a `.env` file, a profile,
 * `--flag=~/…`: a leading `~` or `~/` is the home directory, as a shell would have read it. `~user` is left alone,
 * and so is everything when `home` is unknown.
 */
export function expandHome(path: string, home: string | undefined): string {
  if (!home) return path;
  if (path === "~") return home;
  if (path.startsWith("~/")) return `${home.replace(/\/+$/, "")}/${path.slice(2)}`;
  return path;
}
