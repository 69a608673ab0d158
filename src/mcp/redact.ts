/**
 * Keeps secrets out of what we show: MCP server URLs may carry credentials (userinfo, `?api_key=`),
 * headers carry tokens, and SDK error messages quote both.
 */
import type { McpServerConfig } from "./servers";

const REDACTED = "redacted";

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
  for (const key of keys) parsed.searchParams.set(key, REDACTED);
  parsed.hash = "";
  return parsed.toString();
}

/** Every string of `config` that must never appear in a message, longest first. */
function secretsOf(config: Pick<McpServerConfig, "url" | "headers" | "auth">): string[] {
  const secrets = new Set<string>([config.url]);
  const auth = config.auth;
  if (auth?.clientSecret) secrets.add(auth.clientSecret);
  if (auth?.type === "client_credentials" && auth.privateKey) secrets.add(auth.privateKey);
  for (const value of Object.values(config.headers)) {
    secrets.add(value);
    // "Bearer sk-…": the token alone may be quoted too.
    const token = value.split(/\s+/).at(-1);
    if (token) secrets.add(token);
  }
  try {
    const parsed = new URL(config.url);
    for (const part of [parsed.username, parsed.password]) {
      if (part) {
        secrets.add(part);
        secrets.add(decodeURIComponent(part));
      }
    }
    for (const value of parsed.searchParams.values()) secrets.add(value);
    // The SDK prints `url.href`, which may differ from the configured text (normalisation).
    secrets.add(parsed.href);
  } catch {
    // An invalid URL has no parts to hide beyond the text itself.
  }
  // Very short values (say "1") would shred ordinary words; they are not credentials anyway.
  return [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/** Replaces the server's URL (by its redacted form), header values, client secrets and URL credentials in `text`. */
export function scrub(text: string, config: Pick<McpServerConfig, "url" | "headers" | "auth">): string {
  const safeUrl = redactUrl(config.url);
  let out = text;
  for (const secret of secretsOf(config)) {
    const isUrl = secret === config.url || secret.includes("://");
    out = out.split(secret).join(isUrl ? safeUrl : `[${REDACTED}]`);
  }
  return out;
}
