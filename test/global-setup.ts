// Generates the fixture checkpoints and converts them once per test run (skipped when already current), and the
// assets folder the `wrangler dev` tests share, before they start it in parallel.
import { demoAssets } from "../src/node/wrangler-dev.ts";

export default async function setup(): Promise<void> {
  await demoAssets();
}
