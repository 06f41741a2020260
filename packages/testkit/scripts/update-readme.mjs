// Regenerates the case catalogue section of README.md from the built package.
// Usage (from packages/testkit, after a build): node scripts/update-readme.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { withCatalogue } from '../dist/index.js';

const path = new URL('../README.md', import.meta.url);
writeFileSync(path, withCatalogue(readFileSync(path, 'utf8')));
console.log('README.md catalogue updated');
