import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.ts";

// The bin's tests spawn the built dist/bin.js: the global setup builds it first, so `vitest run` stands alone.
export default mergeConfig(shared, defineConfig({ test: { globalSetup: ["test/build.global.ts"] } }));
