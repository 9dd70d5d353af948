// Builds the dashboard into examples/dashboard/dist with esbuild:
//   node examples/dashboard/build.mjs    (after npm ci in bindings/js)
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// esbuild, mqtt and libsodium are the binding's packages
// (bindings/js/package-lock.json), installed there by npm ci.
const js = new URL('../../bindings/js/', import.meta.url);
const { build } = createRequire(new URL('package.json', js))('esbuild');

const here = fileURLToPath(new URL('.', import.meta.url));
const out = here + 'dist/';
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [here + 'main.js'],
  outfile: out + 'app.js',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  nodePaths: [fileURLToPath(new URL('node_modules', js))],
  logLevel: 'warning',
});
for (const f of ['index.html', 'style.css']) copyFileSync(here + f, out + f);
console.log(`dashboard built in ${out}`);
