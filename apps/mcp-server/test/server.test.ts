import { seedSecrets } from "@idlink/emulator";
import { describe, expect, test } from "vitest";
import { readOnlyToolNames, toolNames } from "../src/catalog.ts";
import { enabledTools } from "../src/server.ts";
import {
  alice,
  aliceGoogle,
  bob,
  dave,
  findSecrets,
  frank,
  frankGithub,
  outputs,
  rememberSecret,
  secrets,
  structured,
  useHarness,
} from "./helpers.ts";

const { emulator, open } = useHarness();

describe("tools/list", () => {
  test("what an agent reads: tools/list as JSON (reviewed snapshot: __snapshots__/tools-list.json)", async () => {
    const { client } = await open();
    const listed = await client.listTools();
    await expect(`${JSON.stringify(listed, null, 2)}\n`).toMatchFileSnapshot("__snapshots__/tools-list.json");
  });

  test("what an agent pays for on every session: under 2,000 tokens (tools/list's JSON characters / 4)", async () => {
    const { client } = await open();
    const listed = await client.listTools();
    const json = JSON.stringify(listed);
    const size = { characters: json.length, tokens: Math.ceil(json.length / 4) };
    expect(size).toMatchSnapshot();
    expect(size.tokens).toBeLessThan(2000);
    expect(json).not.toContain('"$schema"');
    for (const tool of listed.tools) {
      // Shared shapes are said in words one level down, not repeated as nested schemas in every tool.
      for (const [field, schema] of Object.entries(tool.outputSchema?.properties ?? {})) {
        expect(schema, `${tool.name}.${field}`).not.toHaveProperty("properties");
        expect(schema, `${tool.name}.${field}`).not.toHaveProperty("items.properties");
      }
    }
  });

  test("advertises every input schema as a strict object with properties", async () => {
    const { client } = await open();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([...toolNames]);
    for (const tool of tools) {
      expect(tool.inputSchema.type, tool.name).toBe("object");
      expect(Object.keys(tool.inputSchema.properties ?? {}).length, tool.name).toBeGreaterThan(0);
      expect(tool.inputSchema.additionalProperties, tool.name).toBe(false);
      expect(tool.inputSchema).not.toHaveProperty("anyOf");
      expect(tool.inputSchema).not.toHaveProperty("oneOf");
      expect(tool.outputSchema?.type, tool.name).toBe("object");
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.description?.length, tool.name).toBeGreaterThan(80);
    }
  });

  test("annotates honestly: reads are read-only, link and unlink are destructive and not idempotent", async () => {
    const { client } = await open();
    const { tools } = await client.listTools();
    const annotations = Object.fromEntries(tools.map((t) => [t.name, t.annotations]));
    // Only what differs from MCP's defaults (openWorldHint true; destructiveHint and idempotentHint mean something
    // only when readOnlyHint is false), and every tool talks to the tenant: an open world.
    for (const name of readOnlyToolNames) expect(annotations[name]).toEqual({ readOnlyHint: true });
    for (const name of ["link_accounts", "unlink_identity"]) {
      expect(annotations[name]).toEqual({
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
      });
    }
    for (const annotation of Object.values(annotations))
      expect(annotation).not.toHaveProperty("openWorldHint");
  });

  test("lists the same tools and input properties to a 2026-07-28 client", async () => {
    const legacy = await open();
    const before = (await legacy.client.listTools()).tools;
    await legacy.close();
    const modern = await open({ era: "2026-07-28" });
    const after = (await modern.client.listTools()).tools;
    expect(after.map((t) => [t.name, Object.keys(t.inputSchema.properties ?? {})])).toEqual(
      before.map((t) => [t.name, Object.keys(t.inputSchema.properties ?? {})]),
    );
  });
});

describe("tool selection", () => {
  test("read-only mode registers only the tools that change nothing", async () => {
    const { client, call } = await open({ options: { readOnly: true } });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([
      "get_user_identities",
      "find_link_candidates",
      "find_duplicate_accounts",
      "preview_link",
      "preview_unlink",
    ]);
    await expect(call("link_accounts", { primary: alice, secondary: aliceGoogle })).rejects.toThrow(
      "Tool link_accounts not found",
    );
    expect(emulator().state.getUser(aliceGoogle)).toBeDefined();
  });

  test("--tools registers the named tools only", async () => {
    const { client } = await open({ options: { tools: ["preview_link", "link_accounts"] } });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["preview_link", "link_accounts"]);
  });

  test("read-only mode wins over a selection", () => {
    expect(enabledTools({ readOnly: true, tools: ["get_user_identities", "unlink_identity"] })).toEqual([
      "get_user_identities",
    ]);
  });
});

describe("secrets", () => {
  test("the scan finds a secret planted in an output", () => {
    const [idpToken] = seedSecrets();
    expect(findSecrets([`{"access_token":"${idpToken}"}`])).toEqual([idpToken]);
    expect(findSecrets(["nothing to see"])).toEqual([]);
  });

  test("no tool output carries a token in use: Management token, client secret, link_with, IdP tokens", async () => {
    const em = emulator();
    // The server's token may read IdP tokens (read:user_idp_tokens), so Auth0 hands them to it.
    const token = await em.mintToken({
      scopes: ["read:users", "update:users", "read:user_idp_tokens"],
      azp: "idlink-spa",
    });
    const { id_token } = await em.login(dave);
    rememberSecret(id_token);
    // IdP tokens reach the server: the emulator hands them out with read:user_idp_tokens.
    const raw = await fetch(`${em.url}/api/v2/users/${encodeURIComponent(aliceGoogle)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await raw.text()).toContain("emulator-only-idp-access-token-google-alice");
    const h = await open({ token, elicit: () => ({ action: "accept", content: {} }) });
    await h.call("get_user_identities", { user_id: frank });
    await h.call("get_user_identities", { user_id: aliceGoogle });
    await h.call("find_link_candidates", { user: alice });
    await h.call("preview_link", { primary: bob, link_with: id_token });
    await h.call("preview_link", { primary: bob, link_with: `${id_token}x` });
    await h.call("link_accounts", { primary: bob, link_with: id_token });
    await h.call("link_accounts", { primary: alice, secondary: aliceGoogle });
    await h.call("unlink_identity", { primary: frank, secondary: frankGithub });
    await h.call("link_accounts", { primary: "not an id", link_with: id_token });
    expect(structured(await h.call("get_user_identities", { user_id: bob })).identities).toHaveLength(2);

    expect(outputs.length).toBeGreaterThanOrEqual(10);
    expect([...secrets]).toEqual(expect.arrayContaining([token, id_token, ...seedSecrets()]));
    expect(findSecrets(outputs)).toEqual([]);
  });
});
