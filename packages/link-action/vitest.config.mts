import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.ts";

// The tests run the BUILT dist/link-action.js: the global setup builds it first, so `vitest run` stands alone.
export default mergeConfig(shared, defineConfig({ test: { globalSetup: ["test/build.global.ts"] } }));
