// npm run freshdesk-app: builds the Freshdesk app and writes it twice under
// integrations/freshdesk/dist/: as a folder (to read, or to run with Freshworks' fdk) and as
// the zip to upload as a custom app in the Freshworks Developer Portal.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { APP_NAME, buildAppFiles, DIST_DIR } from './build-app.ts';
import { zip } from './zip.ts';

const files = buildAppFiles();
const folder = join(DIST_DIR, APP_NAME);
rmSync(folder, { recursive: true, force: true });
for (const [path, data] of files) {
  const target = join(folder, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, data);
}
const archive = join(DIST_DIR, `${APP_NAME}.zip`);
writeFileSync(archive, zip(files));
const shown = (path: string) => relative(process.cwd(), path);
process.stdout.write(
  `Freshdesk app built (${files.size} files).\n  Folder  ${shown(folder)}\n  Upload  ${shown(archive)}\n`,
);
