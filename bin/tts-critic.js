#!/usr/bin/env node
// Thin launcher: all behaviour lives in the library (dist/), built by `npm run build`.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
