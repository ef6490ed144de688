import type {
  CallToolResult,
  InputRequiredResult,
  ServerContext,
  ToolAnnotations,
} from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { ToolDeps } from "./deps.ts";

/** A tool as a value: its name, words, schemas and annotations, and the handler — everything registration needs. */
export interface ToolDefinition<N extends string = string, I extends z.ZodObject = z.ZodObject> {
  name: N;
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: z.ZodObject;
  annotations: ToolAnnotations & { readOnlyHint: boolean };
  handler(
    args: z.output<I>,
    deps: ToolDeps,
    ctx: ServerContext,
  ): Promise<CallToolResult | InputRequiredResult>;
}

/** Declares a tool; `const` keeps its name literal, so the tool names are derived from the definitions. */
export function defineTool<const N extends string, I extends z.ZodObject>(
  tool: ToolDefinition<N, I>,
): ToolDefinition<N, I> {
  return tool;
}
