#!/usr/bin/env node
// The `encode-corpus` command that package.json's "bin" names: its bundle, or the sources through tsx (launch.mjs).
import { launch } from "./launch.mjs";

await launch("encode-corpus", "src/cli/encode-corpus.ts");
