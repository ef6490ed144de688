import { findDuplicateAccounts } from "./find-duplicate-accounts.ts";
import { findLinkCandidatesTool } from "./find-link-candidates.ts";
import { getUserIdentities } from "./get-user-identities.ts";
import { linkAccounts } from "./link-accounts.ts";
import { previewLink } from "./preview-link.ts";
import { previewUnlink } from "./preview-unlink.ts";
import { unlinkIdentity } from "./unlink-identity.ts";

/** Every tool, in the order they are listed. Names and the read-only set below come from the definitions. */
export const tools = [
  getUserIdentities,
  findLinkCandidatesTool,
  findDuplicateAccounts,
  previewLink,
  previewUnlink,
  linkAccounts,
  unlinkIdentity,
] as const;

export type ToolName = (typeof tools)[number]["name"];

export const toolNames: readonly ToolName[] = tools.map((t) => t.name);

/** The tools that change nothing, from their own `readOnlyHint`. */
export const readOnlyToolNames: readonly ToolName[] = tools
  .filter((t) => t.annotations.readOnlyHint)
  .map((t) => t.name);
