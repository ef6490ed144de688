import { readdirSync, readFileSync, statSync } from "node:fs";
import { isBuiltin } from "node:module";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import * as workspaceIndex from "../src/index.ts";
import { actionFile, loadAction } from "./auth0-runtime.ts";

const source = readFileSync(actionFile, "utf8");
const dist = fileURLToPath(new URL("../dist/", import.meta.url));

describe("dist/link-action.js, the Action as pasted into Auth0", () => {
  test("is one file: the Action (with its types), and the index that hands it to tools", () => {
    expect(readdirSync(dist).sort()).toEqual([
      "index.d.mts",
      "index.mjs",
      "link-action.d.ts",
      "link-action.js",
    ]);
  });

  test("is a CommonJS module ending in the editor's own exports.onExecutePostLogin / onContinuePostLogin", () => {
    const lines = source.trimEnd().split("\n");
    expect(lines.slice(-2)).toEqual([
      "exports.onExecutePostLogin = __idlinkLinkAction.onExecutePostLogin;",
      "exports.onContinuePostLogin = __idlinkLinkAction.onContinuePostLogin;",
    ]);
    expect(source).not.toMatch(/^\s*(import|export)\s/m);
    expect(source).not.toContain("import.meta");
  });

  test("requires nothing but Node built-ins (no npm dependency to declare) and loads in a bare module scope", () => {
    const required = [...source.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? "");
    expect(required.filter((name) => !isBuiltin(name))).toEqual([]);
    const action = loadAction();
    expect(action.required.filter((name) => !isBuiltin(name))).toEqual([]);
    expect(action.logs).toEqual([]);
  });

  test("its size is the one the README states (raw and gzip, within 10%)", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const stated = /`dist\/link-action\.js` is ([\d.]+) kB \(([\d.]+) kB gzip/.exec(readme);
    expect(stated, "README: state the size as `dist/link-action.js` is N kB (N kB gzip").not.toBeNull();
    const raw = statSync(actionFile).size / 1000;
    const gzip = gzipSync(source, { level: 9 }).length / 1000;
    console.log(`dist/link-action.js: ${raw.toFixed(1)} kB, ${gzip.toFixed(1)} kB gzip -9`);
    expect(Math.abs(Number(stated?.[1]) - raw) / raw, "update the README's size").toBeLessThan(0.1);
    expect(Math.abs(Number(stated?.[2]) - gzip) / gzip, "update the README's size").toBeLessThan(0.1);
  });
});

describe("the index, for tools (`idlink action deploy`)", () => {
  test("the workspace source and the published dist/index.mjs give the same text and path", async () => {
    const published = (await import(
      new URL("../dist/index.mjs", import.meta.url).href
    )) as typeof workspaceIndex;
    expect(workspaceIndex.actionSource).toBe(source);
    expect(published.actionSource).toBe(source);
    expect(workspaceIndex.actionPath).toBe(actionFile);
    expect(published.actionPath).toBe(actionFile);
  });
});
