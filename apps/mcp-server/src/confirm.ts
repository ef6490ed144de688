import type { Issue } from "@idlink/core";
import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
  type McpServer,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { Binding, Confirmations } from "./confirmations.ts";
import { type Fenced, render } from "./fence.ts";
import { refusal } from "./results.ts";

export type Gate =
  | { kind: "proceed" }
  | { kind: "ask"; result: InputRequiredResult }
  | { kind: "answered"; action: "decline" | "cancel" }
  | { kind: "refused"; result: CallToolResult };

const confirmKey = "confirm";

/**
 * Decides whether a destructive call may go ahead. With form elicitation the user is shown `plan` and answers;
 * the answer only counts together with the signed request state minted when the question was asked, so a client
 * cannot skip the question by sending a bare "accept". Without elicitation, a confirmation token from
 * preview_link for exactly this binding is required.
 */
export function confirmationGate(input: {
  server: McpServer;
  ctx: ServerContext;
  confirmations: Confirmations;
  binding: Binding;
  confirmationToken: string | undefined;
  /** The question for the user: the plan, its values quoted. */
  plan: Fenced;
}): Gate {
  const { ctx, confirmations, binding } = input;
  if (canElicit(input.server, ctx)) {
    const answer = inputResponse(ctx.mcpReq.inputResponses, confirmKey);
    if (answer.kind === "missing") {
      return {
        kind: "ask",
        result: inputRequired({
          inputRequests: {
            [confirmKey]: inputRequired.elicit({
              message: render(input.plan),
              requestedSchema: { type: "object", properties: {} },
            }),
          },
          requestState: confirmations.issue("elicitation", binding).token,
        }),
      };
    }
    if (answer.kind !== "elicit") {
      return {
        kind: "refused",
        result: refusal(
          "Confirmation failed — nothing was changed",
          [
            {
              path: `inputResponses.${confirmKey}`,
              message: "the answer to the confirmation was not an elicitation result",
            },
          ],
          askAgain(binding),
        ),
      };
    }
    if (answer.action !== "accept") return { kind: "answered", action: answer.action };
    const state = ctx.mcpReq.requestState();
    const redeemed =
      typeof state === "string"
        ? confirmations.redeem("elicitation", state, binding)
        : {
            ok: false as const,
            message:
              "the accepted answer came without the request state this server sent with its question, so it cannot be told from an answer nobody gave",
          };
    return redeemed.ok
      ? { kind: "proceed" }
      : {
          kind: "refused",
          result: refusal(
            "Confirmation failed — nothing was changed",
            [{ path: "requestState", message: redeemed.message }],
            askAgain(binding),
          ),
        };
  }
  const { write } = toolsFor(binding);
  if (input.confirmationToken === undefined) {
    return {
      kind: "refused",
      result: refusal(
        "Confirmation required — nothing was changed",
        [
          {
            path: "confirmation_token",
            message: `this client cannot ask the user directly, so ${write} needs a confirmation_token`,
          },
        ],
        previewAgain(binding),
      ),
    };
  }
  const redeemed = confirmations.redeem("preview", input.confirmationToken, binding);
  return redeemed.ok
    ? { kind: "proceed" }
    : {
        kind: "refused",
        result: refusal(
          "Confirmation refused — nothing was changed",
          [{ path: "confirmation_token", message: redeemed.message }],
          previewAgain(binding),
        ),
      };
}

/** The tools of an action: the write, and the preview that issues its confirmation tokens. */
function toolsFor(binding: Binding): { write: string; preview: string } {
  return binding.action === "link"
    ? { write: "link_accounts", preview: "preview_link" }
    : { write: "unlink_identity", preview: "preview_unlink" };
}

/** The way on without elicitation: a fresh preview, the user's approval, its token. */
function previewAgain(binding: Binding): string {
  const { write, preview } = toolsFor(binding);
  return `Call ${preview} with the same primary and secondary, show its plan to the user, and once they approve, call ${write} again with the same arguments and the confirmation_token it returns.`;
}

/** The way on with elicitation: ask again; the client answers with the state that came with the question. */
function askAgain(binding: Binding): string {
  const { write } = toolsFor(binding);
  return `Call ${write} again with the same arguments: the server asks the user afresh, and the client must send their answer together with the request state that came with that question.`;
}

/** Whether the client declared form elicitation: per request on 2026-07-28, at initialize on 2025-era connections. */
export function canElicit(server: McpServer, ctx: ServerContext): boolean {
  const envelope: Record<string, unknown> = ctx.mcpReq.envelope ?? {};
  const perRequest = envelope[CLIENT_CAPABILITIES_META_KEY];
  const capabilities: Record<string, unknown> | undefined = isRecord(perRequest)
    ? perRequest
    : server.server.getClientCapabilities();
  const elicitation = capabilities?.elicitation;
  // An empty elicitation capability means form mode (the spec's backwards-compatible default).
  return isRecord(elicitation) && (elicitation.form !== undefined || elicitation.url === undefined);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A preview's verdict: the plan's warnings and blockers, whether it can proceed, and — so that a client without
 * elicitation can confirm — a confirmation token, only for a plan that can proceed.
 */
export function previewVerdict(
  { confirmations, readOnly }: { confirmations: Confirmations; readOnly: boolean },
  binding: Binding,
  plan: { warnings: string[]; blockers: Issue[] },
): {
  warnings: string[];
  blockers: Issue[];
  can_proceed: boolean;
  confirmation_token: string | undefined;
  confirmation_expires_at: string | undefined;
} {
  const canProceed = plan.blockers.length === 0;
  const issued = canProceed && !readOnly ? confirmations.issue("preview", binding) : undefined;
  return {
    warnings: plan.warnings,
    blockers: plan.blockers,
    can_proceed: canProceed,
    confirmation_token: issued?.token,
    confirmation_expires_at: issued?.expiresAt.toISOString(),
  };
}
