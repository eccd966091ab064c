// splade-edge's Worker: a query in, its SPLADE vector out in the caller's search engine format, plus TEI's
// /embed_sparse. This file assembles the app: the middleware every request passes, in order, then the routes. Each
// route lives in its own module under routes/ with what it accepts, answers and documents (its createRoute) beside
// its handler; errors.ts maps every failure to its status.
import { OpenAPIHono } from "@hono/zod-openapi";
import { methodNotAllowed } from "hono/method-not-allowed";
import { corsForOrigins, requireApiKey } from "./access";
import { readBody } from "./body";
import { ApiError, errorResponse } from "./errors";
import { MAX_BODY_BYTES } from "./limits";
import { requestLog } from "./log";
import { isolateModel, modelHeaders } from "./model";
import { registerPage } from "./page";
import { refuseInvalid } from "./requests";
import { registerEmbedSparse } from "./routes/embed-sparse";
import { registerEncode } from "./routes/encode";
import { registerHealth } from "./routes/health";
import { registerInfo } from "./routes/info";
import { registerOpenApiDocument } from "./routes/openapi-document";
import { registerSearch } from "./routes/search";
import type { AppEnv } from "./settings";

export type { Env } from "./settings";

// A request that fails a route's schemas is the 422 refuseInvalid throws.
const app = new OpenAPIHono<AppEnv>({ defaultHook: refuseInvalid });

app.use(requestLog);

// Once the manifest is known, every answer says which model, of which kind and licence, answered, and a random-weights
// model says so, errors included (modelHeaders).
app.use(async (c, next) => {
  await next();
  const manifest = isolateModel.loadedManifest();
  if (manifest) for (const [name, value] of Object.entries(modelHeaders(manifest))) c.header(name, value);
});

app.use(corsForOrigins);

// Before anything may answer early (401, 413, 415, 429): the body is read whole, so the connection stays reusable.
app.use(readBody(MAX_BODY_BYTES));

app.use(
  methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) => {
      const allow = methods.toSorted().join(", ");
      const response = errorResponse(c, new ApiError("method_not_allowed", `${c.req.method} ${c.req.path} is not supported — allowed: ${allow}`));
      response.headers.set("Allow", allow);
      return response;
    },
  }),
);

app.use(requireApiKey);

registerHealth(app);
registerInfo(app);
registerEncode(app);
registerEmbedSparse(app);
registerSearch(app);
registerPage(app);
registerOpenApiDocument(app);

app.notFound((c) => errorResponse(c, new ApiError("not_found", `no route for ${c.req.method} ${c.req.path} — see GET /info`)));

app.onError((error, c) => errorResponse(c, error));

export default app;
