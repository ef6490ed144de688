import { join } from "node:path";

/** Where `init` runs: the user's home, the project folder (Claude Code's scope) and the platform, all injectable. */
export interface Place {
  home: string;
  cwd: string;
  platform: NodeJS.Platform;
  /** %APPDATA% on Windows (where Claude Desktop and VS Code keep their settings). */
  appData: string | undefined;
}

/** An agent host `idlink-mcp init --client NAME` can configure: its config file and what that file understands. */
export interface Host {
  label: string;
  /** The file the host reads its MCP servers from. */
  file(place: Place): string;
  /** The object of that file holding servers by name. */
  key: "mcpServers" | "servers";
  /**
   * How the file refers to a variable of the host's own environment, read when the host starts the server; undefined
   * when it has no such syntax (then a secret could only be written inline, which init never does).
   */
  reference: ((variable: string) => string) | undefined;
  /** VS Code only: secrets become `${input:…}` prompts whose answers VS Code keeps in its secret storage. */
  inputs?: true;
}

const windows = (place: Place, ...path: string[]) =>
  join(place.appData ?? join(place.home, "AppData", "Roaming"), ...path);

/**
 * The hosts Auth0's own MCP server configures (auth0/auth0-mcp-server src/clients/*.ts @
 * c2709eb5630c5850c94826f54a2fbc8131fb6d48: claude, claude-code, cursor, windsurf, vscode, gemini), with the file and
 * the variable syntax each host documents.
 */
export const hosts = {
  // modelcontextprotocol.io's user quickstart: ~/Library/Application Support/Claude/claude_desktop_config.json,
  // %APPDATA%\Claude\claude_desktop_config.json (Linux as Auth0's server does). The file is plain JSON with literal
  // values, and servers get "only a subset of environment variables automatically, like USER, HOME, and PATH"
  // (modelcontextprotocol.io, debugging guide): no reference reaches a secret.
  claude: {
    label: "Claude Desktop",
    file: (p) =>
      p.platform === "darwin"
        ? join(p.home, "Library", "Application Support", "Claude", "claude_desktop_config.json")
        : p.platform === "win32"
          ? windows(p, "Claude", "claude_desktop_config.json")
          : join(p.home, ".config", "Claude", "claude_desktop_config.json"),
    key: "mcpServers",
    reference: undefined,
  },
  // Claude Code expands ${VAR} and ${VAR:-default} in a project's .mcp.json (command, args, env, url, headers:
  // code.claude.com/docs/en/mcp, "Environment variable expansion in .mcp.json"); its user file ~/.claude.json does
  // not (anthropics/claude-code#43693), so init writes the project scope, where references work.
  "claude-code": {
    label: "Claude Code",
    file: (p) => join(p.cwd, ".mcp.json"),
    key: "mcpServers",
    reference: (v) => `\${${v}}`,
  },
  // cursor.com/docs/context/mcp: ~/.cursor/mcp.json for every project; "Config interpolation": ${env:NAME}.
  cursor: {
    label: "Cursor",
    file: (p) => join(p.home, ".cursor", "mcp.json"),
    key: "mcpServers",
    reference: (v) => `\${env:${v}}`,
  },
  // code.visualstudio.com/docs/copilot/reference/mcp-configuration: the user profile's mcp.json, a `servers` object,
  // `inputs` of type promptString (password: true) referenced as ${input:id}, VS Code's variables (${env:NAME}).
  vscode: {
    label: "VS Code",
    file: (p) =>
      p.platform === "darwin"
        ? join(p.home, "Library", "Application Support", "Code", "User", "mcp.json")
        : p.platform === "win32"
          ? windows(p, "Code", "User", "mcp.json")
          : join(p.home, ".config", "Code", "User", "mcp.json"),
    key: "servers",
    reference: (v) => `\${env:${v}}`,
    inputs: true,
  },
  // docs.windsurf.com/windsurf/cascade/mcp: ~/.codeium/windsurf/mcp_config.json; ${env:NAME} in command, args, env.
  windsurf: {
    label: "Windsurf",
    file: (p) => join(p.home, ".codeium", "windsurf", "mcp_config.json"),
    key: "mcpServers",
    reference: (v) => `\${env:${v}}`,
  },
  // google-gemini/gemini-cli docs/tools/mcp-server.md @ 5411f113cafae26161b4969b0237b8e1e024e2c2: ~/.gemini/settings.json,
  // `env` values expand $VAR / ${VAR}; variables named like *SECRET*, *TOKEN*, *KEY* are redacted from what a server
  // inherits unless its `env` names them — so the reference is needed, not only convenient.
  gemini: {
    label: "Gemini CLI",
    file: (p) => join(p.home, ".gemini", "settings.json"),
    key: "mcpServers",
    reference: (v) => `\${${v}}`,
  },
} as const satisfies Record<string, Host>;

export type HostName = keyof typeof hosts;

export const hostNames = Object.keys(hosts) as HostName[];
