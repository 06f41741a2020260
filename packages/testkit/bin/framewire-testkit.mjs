#!/usr/bin/env node
// Runs the built CLI (build first: pnpm --filter @framewire/testkit build).
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
