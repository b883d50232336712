// The package mirror this project is built against does not carry @swc/core's binaries for other
// platforms, so `npm install` here writes a lockfile without them and `npm ci` then refuses it
// ("Missing: @swc/core-darwin-arm64 from lock file"). They are optional, platform-gated packages
// that are never installed on linux-x64; recording them (without tarball data) makes the lockfile
// complete again. Idempotent: run it after any `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
let added = 0;
for (const entry of Object.values(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const flat = `node_modules/${name}`;
    if (lock.packages[flat]) continue;
    const m = /-(darwin|linux|win32|freebsd|android)-([a-z0-9]+)/.exec(name);
    if (!m) continue;
    const cpu = { arm: 'arm', arm64: 'arm64', x64: 'x64', ia32: 'ia32', ppc64: 'ppc64', s390x: 's390x' }[m[2]] ?? m[2];
    lock.packages[flat] = { version, optional: true, os: [m[1]], cpu: [cpu] };
    added += 1;
  }
}
if (added > 0) {
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`complete-lockfile: recorded ${added} optional platform package(s)`);
}
