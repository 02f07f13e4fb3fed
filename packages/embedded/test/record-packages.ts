// Loaded with `node --import` into the process under test: appends the name of every npm package
// the process resolves to the file UPLINK_TEST_PACKAGES_LOG names, one per line, so a test can
// tell which libraries a code path really loads.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const log = process.env.UPLINK_TEST_PACKAGES_LOG;
const seen = new Set<string>();

if (log) {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      // …/node_modules/.pnpm/<store entry>/node_modules/<package name>/…
      const name = /\/node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(
        resolved.url,
      )?.[1];
      if (name && !seen.has(name)) {
        seen.add(name);
        appendFileSync(log, `${name}\n`);
      }
      return resolved;
    },
  });
}
