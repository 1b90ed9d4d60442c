#!/usr/bin/env node
// The npm registry this project is installed from lacks some platform-only optional packages
// (msgpackr-extract's macOS, Windows and 32-bit ARM builds). `npm install` then leaves them out of
// package-lock.json and `npm ci` refuses the lock file as out of sync. This adds a stub entry for each
// missing optional dependency; npm ci skips what it cannot fetch because it is optional.
// Run after every `npm install`: npm run lock:complete
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${key}/node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[hoisted]) continue;
    lock.packages[hoisted] = { version, optional: true };
    added += 1;
  }
}
const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added ? `package-lock.json: added ${added} optional stub(s)` : 'package-lock.json: complete');
