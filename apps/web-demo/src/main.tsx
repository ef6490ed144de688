import "./lib/zod-jitless.ts";
import { type ReactNode, StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./components/app.tsx";
import { linkPagePath } from "./link/link-types.ts";
import "./styles.css";

const root = document.getElementById("root");
if (root) {
  const render = (page: ReactNode) => createRoot(root).render(<StrictMode>{page}</StrictMode>);
  // The linking page (where the post-login Action sends the browser) is a chunk of its own, loaded on its path
  // only: the demo page's first load does not carry it.
  if (window.location.pathname === linkPagePath) {
    void import("./link/link-page.tsx").then(({ LinkPage }) => render(<LinkPage />));
  } else render(<App />);
}
