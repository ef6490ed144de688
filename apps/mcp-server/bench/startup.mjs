// Start-up cost: spawn → tools/list answered over stdio, against spawn → exit of `node -e 0`, median of N runs each.
// Run after a build: node bench/startup.mjs [runs]. tools/list sends nothing to Auth0, so no tenant is needed.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const runs = Number(process.argv[2] ?? 10);
const bin = fileURLToPath(new URL("../dist/idlink-mcp.js", import.meta.url));
const env = { PATH: process.env.PATH ?? "", AUTH0_DOMAIN: "http://127.0.0.1:9", AUTH0_TOKEN: "unused" };
const messages = [
  {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "0" } },
  },
  { jsonrpc: "2.0", method: "notifications/initialized" },
  { jsonrpc: "2.0", id: 2, method: "tools/list" },
];

function bare() {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    spawn(process.execPath, ["-e", "0"], { stdio: "ignore" }).on("exit", () =>
      resolve(Number(process.hrtime.bigint() - start) / 1e6),
    );
  });
}

function toolsList() {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [bin], { env, stdio: ["pipe", "pipe", "inherit"] });
  child.stdin.write(messages.map((m) => `${JSON.stringify(m)}\n`).join(""));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.split("\n").some((line) => line.includes('"id":2') && line.includes('"tools"'))) {
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        child.kill();
        resolve(ms);
      }
    });
    child.on("exit", (code) => reject(new Error(`exited (${code}) before answering tools/list`)));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

const node = [];
const mcp = [];
await bare();
await toolsList().catch(() => 0);
for (let i = 0; i < runs; i++) {
  node.push(await bare());
  mcp.push(await toolsList());
}
const n = median(node);
const m = median(mcp);
console.log(`node -e 0:                         median ${n.toFixed(0)} ms (${runs} runs)`);
console.log(`idlink-mcp spawn → tools/list:      median ${m.toFixed(0)} ms (${runs} runs)`);
console.log(`difference: ${(m - n).toFixed(0)} ms, ratio ${(m / n).toFixed(1)}×`);
