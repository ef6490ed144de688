// The page's first script, and its only one in the HTML: a few KiB that make the prerendered sign-in button answer
// at once (page-start.ts), then React, fetched from the page's first bytes (a module preload, vite.config.ts), which
// takes the page over without holding up the first click.
import "./styles.css";
import { linkPagePath } from "./link/link-types.ts";
import { answerEarlyClicks } from "./page-start.ts";

/** Said in the page when React's code cannot be loaded: the page would look usable and not be. */
function showLoadFailure(root: HTMLElement, error: unknown): void {
  const notice = document.createElement("p");
  notice.className = "notice notice-error";
  notice.setAttribute("role", "alert");
  notice.textContent = `The page's code could not be loaded (${error instanceof Error ? error.message : String(error)}); reload the page.`;
  root.prepend(notice);
}

const root = document.getElementById("root");
if (root) {
  // The linking page (where the post-login Action sends the browser) is a chunk of its own, loaded on its path
  // only, with HTML that holds no prerendered page (link.html).
  const linkPage = window.location.pathname === linkPagePath;
  if (!linkPage) answerEarlyClicks();
  const mounted = linkPage
    ? import("./link/link-page.tsx").then(({ mountLinkPage }) => mountLinkPage(root))
    : import("./mount.tsx").then(({ mountDemoPage }) => mountDemoPage(root));
  mounted.catch((error: unknown) => showLoadFailure(root, error));
}
