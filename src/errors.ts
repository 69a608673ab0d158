/**
 * The one table of error codes. Each code carries its HTTP status (when it is answered before a
 * stream starts), its OpenAI error `type` and its Anthropic one (what each API's SDKs read; by
 * default the one its status has in that API), and a sentence a person can act on (what the web
 * page shows). Every error the service sends names one of these codes: a typo in a code does not
 * compile.
 */

type Status = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 502 | 503 | 504;

type OpenAIErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "conflict_error"
  | "rate_limit_error"
  | "server_error"
  | "upstream_error";

/** The `error.type` values of Anthropic's Messages API. */
type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "timeout_error"
  | "overloaded_error";

interface ErrorSpec {
  status: Status;
  type: OpenAIErrorType;
  anthropicType: AnthropicErrorType;
  /** For a person: what happened and what to do. */
  sentence: string;
}

const TYPE_OF_STATUS: Record<Status, OpenAIErrorType> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  409: "conflict_error",
  413: "invalid_request_error",
  415: "invalid_request_error",
  429: "rate_limit_error",
  500: "server_error",
  502: "upstream_error",
  503: "server_error",
  504: "upstream_error",
};

// Anthropic has no 409 or 415: both are requests it would call invalid.
const ANTHROPIC_TYPE_OF_STATUS: Record<Status, AnthropicErrorType> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  409: "invalid_request_error",
  413: "request_too_large",
  415: "invalid_request_error",
  429: "rate_limit_error",
  500: "api_error",
  502: "api_error",
  503: "api_error",
  504: "timeout_error",
};

function e(
  status: Status,
  sentence: string,
  type = TYPE_OF_STATUS[status],
  anthropicType = ANTHROPIC_TYPE_OF_STATUS[status],
): ErrorSpec {
  return { status, type, anthropicType, sentence };
}

export const ERRORS = {
  // The caller's request.
  invalid_request: e(400, "The request was not valid."),
  invalid_json: e(400, "The request was not valid JSON."),
  unsupported_media_type: e(415, "The request must be sent as JSON."),
  body_too_large: e(413, "The message is too long to send."),
  http_error: e(400, "The request could not be read."),
  upstream_not_allowed: e(400, "That model provider address is not allowed on this server."),
  nothing_to_regenerate: e(400, "There is no question in this conversation to answer again."),
  auth_off: e(400, "This server does not use API keys."),
  cross_origin_refused: e(403, "This server does not accept requests from the web page you are on."),
  route_not_found: e(404, "Not found."),
  conversation_not_found: e(404, "This conversation does not exist any more."),
  // OpenAI's own type for an unknown model, which its SDKs and clients look for.
  model_not_found: e(404, "That model is not available on this server.", "invalid_request_error"),
  turn_in_progress: e(409, "A reply is still being written in this conversation. Wait for it, or press Stop."),
  response_not_found: e(404, "This response does not exist, or was not stored."),
  message_not_found: e(404, "That message is not in this conversation."),
  attachment_too_large: e(413, "That file is too large to attach."),
  attachment_type_unsupported: e(
    415,
    "That kind of file cannot be attached: images (PNG, JPEG, GIF, WebP) and text files can.",
  ),
  attachment_not_found: e(404, "That file is not here any more."),
  // Never answered: the route continues the response in a copy of its conversation instead.
  response_continued: e(409, "This response has been continued already."),

  // Who the caller is, and how much they may do.
  missing_api_key: e(401, "This server needs an API key. Enter it under “API key”."),
  invalid_api_key: e(401, "The API key was not accepted. Check it under “API key”."),
  invalid_token: e(401, "The stream could not be opened: its token was refused. Reload the page."),
  acting_for_users_not_allowed: e(403, "This API key may not act for other users."),
  rate_limited: e(429, "Too many requests right now. Wait a moment, then try again."),
  auth_rate_limited: e(429, "Too many wrong API keys were tried from your address. Wait a minute, then try again."),
  too_many_turns: e(429, "Too many replies are being written at once. Wait for one to finish."),

  // The model provider.
  upstream_auth: e(502, "The model provider refused the server's credentials."),
  upstream_rate_limited: e(429, "The model provider is rate limiting requests. Wait a moment, then try again."),
  upstream_bad_request: e(502, "The model provider rejected the request."),
  upstream_unavailable: e(502, "The model provider failed to answer. Try again in a moment."),
  upstream_overloaded: e(
    503,
    "The model provider is overloaded. Try again in a moment.",
    "upstream_error",
    "overloaded_error",
  ),
  upstream_unreachable: e(502, "The model provider cannot be reached. Try again in a moment."),
  upstream_timeout: e(504, "The model provider took too long to answer."),
  upstream_protocol: e(502, "The model provider's answer broke off or could not be read."),
  upstream_redirect: e(502, "The model provider sent the request elsewhere; redirects are not followed."),
  upstream_invalid_response: e(502, "The model provider's answer was not a chat completion."),

  // The turn itself.
  turn_timeout: e(504, "The reply took too long and was stopped.", "server_error"),
  turn_failed: e(502, "The reply ended without an answer.", "server_error"),
  interrupted: e(503, "The server restarted while writing this reply; what was written is kept."),

  // MCP servers: the ones an owner adds, their authorizations, their questions.
  mcp_server_not_found: e(404, "There is no MCP server of that name."),
  mcp_server_exists: e(409, "An MCP server of that name exists already. Pick another name."),
  mcp_server_configured: e(409, "That MCP server is set up for everyone on this server and cannot be removed."),
  mcp_server_not_allowed: e(400, "That MCP server address is not allowed on this server."),
  mcp_servers_full: e(409, "You have added as many MCP servers as you may. Remove one first."),
  mcp_token_key_missing: e(503, "This server cannot keep MCP credentials yet: its operator must set MCP_TOKEN_KEY."),
  mcp_authorization_not_needed: e(409, "That MCP server does not ask you to connect it."),
  mcp_scope_refused: e(409, "That MCP server keeps refusing the access it granted. Ask its operator."),
  mcp_authorization_failed: e(502, "Connecting the MCP server failed. Try again in a moment."),
  mcp_authorization_invalid: e(400, "This authorization has expired or was used already. Start it again."),
  mcp_authorization_denied: e(400, "The MCP server was not connected: the authorization was not given."),
  elicitation_not_found: e(404, "That question is no longer waiting for an answer."),
  approval_not_found: e(404, "That tool call is no longer waiting for an approval."),
  approval_answered: e(409, "That tool call has been answered already."),
  approval_pending: e(409, "Other tool calls of this reply still wait for an answer."),

  // Ours.
  bad_configuration: e(500, "The server is misconfigured; its operator must fix a setting."),
  internal_error: e(500, "The server failed to answer."),
} satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

/** The spec of a code that came from outside the type system (a logged event, a stored row). */
export function errorSpec(code: string): ErrorSpec {
  return isErrorCode(code) ? ERRORS[code] : ERRORS.internal_error;
}
