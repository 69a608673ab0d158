/**
 * The one way to log a failure. Errors from libraries can carry what they were given (a request's
 * headers, a URL), so the configured secrets and anything shaped like a credential are masked
 * before they reach a log line.
 */
import { Redactor, type Secret } from "./redact";

const CREDENTIALS: RegExp[] = [
  /\b(sk|pk|rk|key)-[A-Za-z0-9_-]{6,}/g,
  /\bBearer\s+[^\s"',;]+/gi,
  /\b(api[_-]?key|token|secret|password|authorization)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi,
  /\/\/[^/\s:@]+:[^/\s@]+@/g,
];

/** The secrets of the configurations this isolate has loaded (there is one, but tests load several). */
let configured = new Redactor([]);

/** Masks `secrets` in every log line from now on. */
export function maskInLogs(secrets: readonly Secret[]): void {
  const known = new Set(configured.secrets.map(([value]) => value));
  configured = configured.with(secrets.filter(([value]) => !known.has(value)));
}

export function maskCredentials(text: string): string {
  return CREDENTIALS.reduce(
    (out, re) =>
      out.replace(re, (m, ...groups) => {
        if (m.startsWith("//")) return "//[redacted]@";
        if (/^Bearer/i.test(m)) return "Bearer [redacted]";
        if (typeof groups[1] === "string" && /[:=]/.test(groups[1])) return `${groups[0]}${groups[1]}[redacted]`;
        return "[redacted]";
      }),
    configured.redact(text),
  );
}

export function logError(what: string, err: unknown): void {
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : typeof err === "string" ? err : "unknown error";
  console.error(`${what}: ${maskCredentials(detail)}`);
}

export function logWarning(text: string): void {
  console.warn(maskCredentials(text));
}
