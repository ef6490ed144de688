// The README's code is the examples' code: each example file appears whole in a ```ts block, and every ```ts block
// is one of them, so what a reader copies is what `tsc` checked.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const examples = readdirSync(join(root, "examples")).filter((name) => name.endsWith(".ts"));
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);

test.each(examples)("examples/%s is shown whole in the README", (name) => {
  expect(blocks).toContain(readFileSync(join(root, "examples", name), "utf8"));
});

test("every TypeScript block of the README is an example file", () => {
  const files = examples.map((name) => readFileSync(join(root, "examples", name), "utf8"));
  expect(blocks.filter((block) => !files.includes(block ?? ""))).toEqual([]);
  expect(blocks.length).toBeGreaterThanOrEqual(4);
});
