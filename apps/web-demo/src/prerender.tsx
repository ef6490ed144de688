// The demo page's first view as HTML, rendered by the build (vite.config.ts, `prerenderFirstView`) into the page, so
// the browser shows it from the first bytes and React only attaches to it (main.tsx). It needs no configuration:
// what depends on the tenant fills in once the page has loaded it.
import { StrictMode } from "react";
import { renderToString } from "react-dom/server";
import { App } from "./components/app.tsx";

export function prerender(): string {
  return renderToString(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
