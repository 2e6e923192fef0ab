#!/usr/bin/env node
// `npx shouyin …`: the operator's command line (cli/main.mjs, docs/deploy.md#the-shouyin-cli).

import { main } from '../cli/main.mjs';

process.exitCode = await main(process.argv.slice(2));
