import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The page's origin and tenant come from the demo server at run time, so nothing about a tenant is baked into the
// bundle.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist/client", emptyOutDir: true, sourcemap: false },
});
