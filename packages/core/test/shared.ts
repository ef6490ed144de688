import { fileURLToPath } from "node:url";

/**
 * A file of the project's shared folder (the design docs, Auth0's reference OAS, the seed page), which lives beside
 * the repository: `../shared`. IDLINK_SHARED overrides it (CI sets it for clones made elsewhere).
 */
export function sharedFile(relative: string): string {
  const root = process.env.IDLINK_SHARED ?? fileURLToPath(new URL("../../../../shared/", import.meta.url));
  return `${root.replace(/\/$/, "")}/${relative}`;
}
