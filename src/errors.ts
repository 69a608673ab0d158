/**
 * The one table of error codes. Each code carries its HTTP status (when it is answered before a
 * stream starts), its OpenAI error `type` (what OpenAI's SDKs read), and a sentence a person can
 * act on (what the web page shows). Every error the service sends names one of these codes: a
 * typo in a code does not compile.
 */

interface ErrorSpec {
  status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 502 | 503 | 504;
  type:
    | "invalid_request_error"
    | "authentication_error"
    | "permission_error"
    | "not_found_error"
    | "conflict_error"
    | "rate_limit_error"
    | "server_error"
    | "upstream_error";
  /** For a person: what happened and what to do. */
  sentence: string;
}

export const ERRORS = {
  // The caller's request.
  invalid_request: { status: 400, type: "invalid_request_error", sentence: "The request was not valid." },
  invalid_json: { status: 400, type: "invalid_request_error", sentence: "The request was not valid JSON." },
  unsupported_media_type: {
    status: 415,
    type: "invalid_request_error",
    sentence: "The request must be sent as JSON.",
  },
  body_too_large: { status: 413, type: "invalid_request_error", sentence: "The message is too long to send." },
  http_error: { status: 400, type: "invalid_request_error", sentence: "The request could not be read." },
  upstream_not_allowed: {
    status: 400,
    type: "invalid_request_error",
    sentence: "That model provider address is not allowed on this server.",
  },
  nothing_to_regenerate: {
    status: 400,
    type: "invalid_request_error",
    sentence: "There is no question in this conversation to answer again.",
  },
  auth_off: { status: 400, type: "invalid_request_error", sentence: "This server does not use API keys." },
  route_not_found: { status: 404, type: "not_found_error", sentence: "Not found." },
  conversation_not_found: {
    status: 404,
    type: "not_found_error",
    sentence: "This conversation does not exist any more.",
  },
  turn_in_progress: {
    status: 409,
    type: "conflict_error",
    sentence: "A reply is still being written in this conversation. Wait for it, or press Stop.",
  },

  // Who the caller is, and how much they may do.
  missing_api_key: {
    status: 401,
    type: "authentication_error",
    sentence: "This server needs an API key. Enter it under “API key”.",
  },
  invalid_api_key: {
    status: 401,
    type: "authentication_error",
    sentence: "The API key was not accepted. Check it under “API key”.",
  },
  invalid_token: {
    status: 401,
    type: "authentication_error",
    sentence: "The stream could not be opened: its token was refused. Reload the page.",
  },
  rate_limited: {
    status: 429,
    type: "rate_limit_error",
    sentence: "Too many requests right now. Wait a moment, then try again.",
  },
  too_many_turns: {
    status: 429,
    type: "rate_limit_error",
    sentence: "Too many replies are being written at once. Wait for one to finish.",
  },

  // The model provider.
  upstream_auth: {
    status: 502,
    type: "upstream_error",
    sentence: "The model provider refused the server's credentials.",
  },
  upstream_rate_limited: {
    status: 429,
    type: "rate_limit_error",
    sentence: "The model provider is rate limiting requests. Wait a moment, then try again.",
  },
  upstream_bad_request: {
    status: 502,
    type: "upstream_error",
    sentence: "The model provider rejected the request.",
  },
  upstream_unavailable: {
    status: 502,
    type: "upstream_error",
    sentence: "The model provider failed to answer. Try again in a moment.",
  },
  upstream_overloaded: {
    status: 503,
    type: "upstream_error",
    sentence: "The model provider is overloaded. Try again in a moment.",
  },
  upstream_unreachable: {
    status: 502,
    type: "upstream_error",
    sentence: "The model provider cannot be reached. Try again in a moment.",
  },
  upstream_timeout: { status: 504, type: "upstream_error", sentence: "The model provider took too long to answer." },
  upstream_protocol: {
    status: 502,
    type: "upstream_error",
    sentence: "The model provider's answer broke off or could not be read.",
  },

  // The turn itself.
  turn_timeout: { status: 504, type: "server_error", sentence: "The reply took too long and was stopped." },
  turn_failed: { status: 502, type: "server_error", sentence: "The reply ended without an answer." },
  interrupted: {
    status: 503,
    type: "server_error",
    sentence: "The server restarted while writing this reply; what was written is kept.",
  },

  // Ours.
  bad_configuration: {
    status: 500,
    type: "server_error",
    sentence: "The server is misconfigured; its operator must fix a setting.",
  },
  internal_error: { status: 500, type: "server_error", sentence: "The server failed to answer." },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

/** The spec of a code that came from outside the type system (a logged event, a stored row). */
export function errorSpec(code: string): ErrorSpec {
  return isErrorCode(code) ? ERRORS[code] : ERRORS.internal_error;
}
