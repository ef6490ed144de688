import generated from "./generated/catalog.json" with { type: "json" };
import type { ToolName } from "./tools/index.ts";

/** A JSON-RPC answer as the SDK server writes it, with `id` blanked (null) for the front to fill in. */
export type Template = Record<string, unknown>;

/** A tool as tools/list advertises it. */
export interface ListedTool {
  name: string;
  annotations: { readOnlyHint?: boolean };
  [key: string]: unknown;
}

/**
 * What the SDK server answers to the messages the stdio front answers alone, in both protocol eras, generated from
 * the real tool definitions at build time (`generate.mjs`; `src/generated/catalog.json`, compared with the live
 * server in test/front.test.ts).
 */
export interface Catalog {
  /** initialize echoes these versions; any other is answered with `fallback` (the SDK's negotiation). */
  protocolVersions: { echoed: string[]; fallback: string };
  /** initialize's answer; `result.protocolVersion` is filled in. */
  initialize: Template;
  /** tools/list's answer with every tool; `result.tools` is filtered by the selection. */
  toolsList: Template;
  /** Answers to parameterless requests (ping, and the lists a tools-only server refuses). */
  answers: Record<string, Template>;
  /** The 2026-07-28 era: stateless requests carrying their version and the client's capabilities in `_meta`. */
  modern: {
    /** server/discover's `supportedVersions`: a request's `_meta` must name one of them. */
    versions: string[];
    /** server/discover's answer. */
    discover: Template;
    /** tools/list's answer (with its cache hints) with every tool; `result.tools` is filtered by the selection. */
    toolsList: Template;
  };
}

export const catalog: Catalog = generated;

const listed = (catalog.toolsList.result as { tools: ListedTool[] }).tools;

/** Every tool name, in the order they are listed (from the catalog, so reading them loads no tool). */
export const toolNames = listed.map((t) => t.name) as ToolName[];

/** The tools that change nothing, from their own `readOnlyHint`. */
export const readOnlyToolNames = listed
  .filter((t) => t.annotations.readOnlyHint)
  .map((t) => t.name) as ToolName[];
