import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.ts";

// Packing and `npm install` of the tarballs happen once, before the tests (a cold npm cache makes that the slow part);
// attw and tsc each load a TypeScript compiler, which takes tens of seconds on a busy 2-core machine.
export default mergeConfig(shared, defineConfig({ test: { hookTimeout: 300_000, testTimeout: 180_000 } }));
