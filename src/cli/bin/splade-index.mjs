#!/usr/bin/env node
// The `splade-index` command that package.json's "bin" names: its bundle, or the sources through tsx (launch.mjs).
import { launch } from "./launch.mjs";

await launch("splade-index", "src/cli/index.ts");
