/**
 * What of an MCP server's configuration is secret: URLs may carry credentials (userinfo,
 * `?api_key=`), headers carry tokens, and SDK error messages quote both. The scrubbing itself is
 * the one redactor's (lib/redact.ts), over every configured secret.
 */
import { REDACTED, Redactor, type Secret } from "../lib/redact";
import type { McpServerConfig } from "./servers";

/** The URL without userinfo and with every query value replaced; unparseable input gives "(invalid url)". */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "(invalid url)";
  }
  parsed.username = "";
  parsed.password = "";
  // Query values are where hosted MCP servers put API keys; their names are safe to show.
  const keys = [...new Set(parsed.searchParams.keys())];
  for (const key of keys) parsed.searchParams.set(key, "redacted");
  parsed.hash = "";
  return parsed.toString();
}

/** Headers that describe a request rather than authorize it: their values are not secrets. */
const NOT_SECRET = new Set(["accept", "accept-language", "content-type", "user-agent", "mcp-protocol-version"]);

/** Every secret of one server's configuration (URL, header values, client secrets), and what replaces it. */
export function mcpSecrets(config: Pick<McpServerConfig, "url" | "headers" | "auth">): Secret[] {
  const safeUrl = redactUrl(config.url);
  const secrets: Secret[] = [[config.url, safeUrl]];
  const auth = config.auth;
  if (auth?.clientSecret) secrets.push([auth.clientSecret, REDACTED]);
  if (auth?.type === "client_credentials" && auth.privateKey) secrets.push([auth.privateKey, REDACTED]);
  for (const [name, value] of Object.entries(config.headers)) {
    if (NOT_SECRET.has(name.toLowerCase())) continue;
    secrets.push([value, REDACTED]);
    // "Bearer sk-…": the token alone may be quoted too.
    const token = value.split(/\s+/).at(-1);
    if (token) secrets.push([token, REDACTED]);
  }
  try {
    const parsed = new URL(config.url);
    for (const part of [parsed.username, parsed.password]) {
      if (part) secrets.push([part, REDACTED], [decoded(part), REDACTED]);
    }
    for (const value of parsed.searchParams.values()) secrets.push([value, REDACTED]);
    // The SDK prints `url.href`, which may differ from the configured text (normalisation).
    secrets.push([parsed.href, safeUrl]);
  } catch {
    // An invalid URL has no parts to hide beyond the text itself.
  }
  return secrets;
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** `text` without any secret of one server's configuration (the auth flow's messages, before they are shown). */
export function scrub(text: string, config: Pick<McpServerConfig, "url" | "headers" | "auth">): string {
  return new Redactor(mcpSecrets(config)).redact(text);
}
