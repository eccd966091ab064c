// Generates the fixture checkpoints and converts them once per test run (skipped when already current).
import { ensureFixtureModels } from "../src/model/fixture.ts";

export default async function setup(): Promise<void> {
  await ensureFixtureModels();
}
