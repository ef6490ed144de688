import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.ts";

// The end-to-end tests spawn the built bin: the global setup builds it first, so `vitest run` stands alone.
export default mergeConfig(shared, defineConfig({ test: { globalSetup: ["test/build.global.ts"] } }));
