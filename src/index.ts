/** Worker entry: the Hono app, and the Durable Object classes the runtime instantiates. */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "./http/app-env";
import { auth, tokens } from "./http/auth";
import { chat } from "./http/chat";
import { requestContext } from "./http/context";
import { conversations } from "./http/conversations";
import { corsFromConfig } from "./http/cors";
import { ApiError, notFound, onError } from "./http/errors";
import { health } from "./http/health";
import { rateLimit } from "./http/limits";
import { native } from "./http/native";
import { openai } from "./http/openai";
import { openapi } from "./http/openapi";
import { resume } from "./http/resume";
import { simple } from "./http/simple";
import { tools } from "./http/tools";
import { v1Chat } from "./http/v1-chat";

// Not exported: every named export of the entry module must be a handler or a class.
const MAX_BODY_BYTES = 1024 * 1024;

const app = new Hono<AppEnv>();

// Config first (everything reads it), CORS before auth (a preflight carries no key), then the
// per-key rate limit, then the body limit.
app.use(requestContext());
app.use(corsFromConfig());
app.use(auth());
app.use(rateLimit());
app.use(
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, "body_too_large", `request body exceeds ${MAX_BODY_BYTES} bytes`);
    },
  }),
);
app.route("/", health);
app.route("/", tokens);
app.route("/", native);
app.route("/", openai);
app.route("/", resume);
app.route("/", chat);
app.route("/", conversations);
app.route("/", v1Chat);
app.route("/", simple);
app.route("/", tools);
app.route("/", openapi);
app.onError(onError);
app.notFound(notFound);

export default app satisfies ExportedHandler<Env>;

export { Directory } from "./directory/directory";
export { ChatSession } from "./session/chat-session";
