// The script a user would write to find duplicate emails in an Auth0 export: read the whole gzipped file, parse
// every line into an array, group with a Map. Used by `pnpm bench` as the baseline of idlink duplicates.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const users = gunzipSync(readFileSync(process.argv[2]))
  .toString("utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line));
const byEmail = new Map();
for (const user of users) {
  if (!user.email) continue;
  const key = user.email.toLowerCase();
  const group = byEmail.get(key);
  if (group) group.push(user);
  else byEmail.set(key, [user]);
}
const groups = [...byEmail.values()].filter((group) => group.length > 1);
console.log(JSON.stringify({ users: users.length, groups: groups.length }));
