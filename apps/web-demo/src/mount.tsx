import { StrictMode } from "react";
import { createRoot, hydrateRoot } from "react-dom/client";
import { App } from "./components/app.tsx";

/**
 * Renders the demo page: React attaches to the first view the build prerendered into the HTML (vite.config.ts), or,
 * under `pnpm dev`, whose page has an empty root, renders it.
 */
export function mountDemoPage(root: HTMLElement): void {
  const page = (
    <StrictMode>
      <App />
    </StrictMode>
  );
  if (root.firstElementChild) hydrateRoot(root, page);
  else createRoot(root).render(page);
}
