/** Worker entry: the Hono app, and the Durable Object classes the runtime instantiates. */
import { bodyLimit } from "hono/body-limit";
import { approvals } from "./http/approvals";
import { auth, tokens } from "./http/auth";
import { chat } from "./http/chat";
import { chatCompletions } from "./http/chat-completions";
import { requestContext } from "./http/context";
import { conversations } from "./http/conversations";
import { corsFromConfig } from "./http/cors";
import { elicitations } from "./http/elicitations";
import { ApiError, notFound, onError } from "./http/errors";
import { files } from "./http/files";
import { health } from "./http/health";
import { home } from "./http/home";
import { rateLimit } from "./http/limits";
import { anthropicErrors, messages } from "./http/messages";
import { native } from "./http/native";
import { oauth } from "./http/oauth";
import { routes, serveDocument } from "./http/openapi";
import { sameOriginOnly } from "./http/origin";
import { responses } from "./http/responses";
import { resume } from "./http/resume";
import { serverTiming } from "./http/server-timing";
import { servers } from "./http/servers";
import { simple } from "./http/simple";
import { tools } from "./http/tools";
import { jsonBodies } from "./http/validate";

// Not exported: every named export of the entry module must be a handler or a class.
const MAX_BODY_BYTES = 1024 * 1024;

const app = routes();

// Before everything: the clock of Server-Timing, then a failure in any middleware below is
// answered in the caller's API's shape.
app.use(serverTiming());
app.use("/v1/messages/*", anthropicErrors);
// Config first (everything reads it), CORS before auth (a preflight carries no key), another
// site's requests refused before anything else runs for them, then the per-key rate limit, then
// the body's size and type.
app.use(requestContext());
app.use(corsFromConfig());
app.use(sameOriginOnly());
app.use(auth());
app.use(rateLimit());
app.use(
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError("body_too_large", `request body exceeds ${MAX_BODY_BYTES} bytes`);
    },
  }),
);
app.use(jsonBodies());
const groups = [
  home,
  health,
  tokens,
  native,
  elicitations,
  approvals,
  chatCompletions,
  responses,
  messages,
  resume,
  chat,
  conversations,
  simple,
  tools,
  servers,
  oauth,
  files,
];
for (const group of groups) {
  app.route("/", group);
}
serveDocument(app);
app.onError(onError);
app.notFound(notFound);

export default app satisfies ExportedHandler<Env>;

export { McpCredentials } from "./credentials/credentials";
export { Directory } from "./directory/directory";
export { ChatSession } from "./session/chat-session";
