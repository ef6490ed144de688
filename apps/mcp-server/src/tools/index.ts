import { findDuplicateAccounts } from "./find-duplicate-accounts.ts";
import { findLinkCandidatesTool } from "./find-link-candidates.ts";
import { getUserIdentities } from "./get-user-identities.ts";
import { linkAccounts } from "./link-accounts.ts";
import { previewLink } from "./preview-link.ts";
import { previewUnlink } from "./preview-unlink.ts";
import { unlinkIdentity } from "./unlink-identity.ts";

/** Every tool, in the order they are listed (src/catalog.ts reads the names and the read-only set from the catalog). */
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
