// The end-to-end tests' setups run several long steps at once (CLI processes, `wrangler dev`, engines opening). Their
// time depends on how busy the machine is (2 cores, shared: the same setup took 55 s alone and 131 s beside two
// other jobs), so a hook's timeout only guards against a hang, and is generous. When one fires, vitest says only that
// the hook timed out; these steps say which one had not ended, and log how long each took, so the log shows where the
// time went.

/** Hook timeouts of the end-to-end setups: a guard against a hang, far above any busy machine's time. */
export const SETUP_TIMEOUT_MS = 900_000;
/** One step of such a setup (a CLI run, engines opening): under SETUP_TIMEOUT_MS, so the step is named first. */
export const STEP_DEADLINE_MS = 600_000;
/** One request to a local Worker: `wrangler dev`'s proxy holds a request while the Worker restarts, or forever. */
export const REQUEST_DEADLINE_MS = 120_000;

/** `work`, failing with `name` if it has not ended within `deadlineMs`; how it ended, and when, is logged. */
export async function step<T>(name: string, work: Promise<T>, deadlineMs = STEP_DEADLINE_MS): Promise<T> {
  const started = performance.now();
  const log = (outcome: string) => console.log(`setup step "${name}" ${outcome} after ${((performance.now() - started) / 1000).toFixed(1)} s`);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`setup step "${name}" had not ended after ${deadlineMs / 1000} s`)), deadlineMs);
  });
  try {
    const result = await Promise.race([work, deadline]);
    log("done");
    return result;
  } catch (error) {
    log("failed");
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
