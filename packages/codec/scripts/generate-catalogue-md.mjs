// Regenerates docs/catalogue.md from the catalogue data in src/testing/catalogue/.
// Usage (from packages/codec): node scripts/generate-catalogue-md.mjs
// test/connection-catalogue.test.ts fails when the page is out of date.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
// Bundle the TypeScript data in memory (the codec has no build step for scripts).
const result = await build({
  entryPoints: [`${root}src/testing/catalogue/index.ts`],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
});
const code = result.outputFiles[0].text;
const mod = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
writeFileSync(`${root}docs/catalogue.md`, mod.renderCatalogueMarkdown(mod.catalogue));
console.log(`docs/catalogue.md: ${mod.catalogue.length} cases`);
