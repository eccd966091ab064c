// GET /health: liveness, without loading the model (a load is a first encode's work, not a probe's).
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { isolateModel } from "../model";
import { MODEL_HEADERS } from "../openapi";
import type { AppEnv } from "../settings";

const healthAnswer = z.strictObject({
  status: z.literal("ok"),
  model_loaded: z.boolean().meta({ description: "whether this isolate has loaded the model (it loads on the first encode, not on /health)" }),
});

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness, without loading the model",
  responses: {
    200: {
      description: "The Worker is up.",
      headers: MODEL_HEADERS,
      content: {
        "application/json": {
          schema: healthAnswer,
          examples: { health: { summary: "Before the first encode", value: { status: "ok", model_loaded: false } } },
        },
      },
    },
  },
});

export function registerHealth(app: OpenAPIHono<AppEnv>): void {
  app.openapi(healthRoute, (c) => c.json({ status: "ok" as const, model_loaded: isolateModel.loadedModel() !== undefined }, 200));
}
