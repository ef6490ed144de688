import react from "@vitejs/plugin-react";
import { defaultClientConditions, defineConfig } from "vite";

// Workspace packages resolve to their TypeScript source; the page's origin and tenant come from the demo
// server at run time, so nothing about a tenant is baked into the bundle.
export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ["@idlink/source", ...defaultClientConditions] },
  build: { outDir: "dist/client", emptyOutDir: true, sourcemap: false },
});
