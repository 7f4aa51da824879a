// After `changeset version` bumps package.json versions, write the version constants that the packages
// embed (model files and ONNX metadata record them). Run through `pnpm version-packages`.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';

const targets = [
  ['packages/core/package.json', 'packages/core/src/version.ts'],
  ['packages/onnx-export/package.json', 'packages/onnx-export/src/version.ts'],
];
for (const [pkgPath, file] of targets) {
  if (!existsSync(file)) continue;
  const { version } = JSON.parse(readFileSync(pkgPath, 'utf8'));
  const text = readFileSync(file, 'utf8');
  const next = text.replace(/(export const VERSION\s*=\s*')[^']*(')/, `$1${version}$2`);
  if (next === text && !text.includes(`'${version}'`)) throw new Error(`${file}: no "export const VERSION = '...'" to update`);
  writeFileSync(file, next);
  console.log(`${file}: VERSION = ${version}`);
}
