/// <reference types="vite/client" />
import type { Env as WorkerEnv } from "../../src/worker/index";

// Types `env` and `exports` from "cloudflare:workers" as the Worker under test declares them.
declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
    interface GlobalProps {
      mainModule: typeof import("../../src/worker/index");
    }
  }
}
