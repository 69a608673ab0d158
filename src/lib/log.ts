/**
 * The one way to log a failure. Errors from libraries can carry what they were given (a request's
 * headers, a URL), so anything shaped like a credential is masked before it reaches a log line.
 */
const CREDENTIALS: RegExp[] = [
  /\b(sk|pk|rk|key)-[A-Za-z0-9_-]{6,}/g,
  /\bBearer\s+[^\s"',;]+/gi,
  /\b(api[_-]?key|token|secret|password|authorization)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi,
  /\/\/[^/\s:@]+:[^/\s@]+@/g,
];

export function maskCredentials(text: string): string {
  return CREDENTIALS.reduce(
    (out, re) =>
      out.replace(re, (m, ...groups) => {
        if (m.startsWith("//")) return "//[redacted]@";
        if (/^Bearer/i.test(m)) return "Bearer [redacted]";
        if (typeof groups[1] === "string" && /[:=]/.test(groups[1])) return `${groups[0]}${groups[1]}[redacted]`;
        return "[redacted]";
      }),
    text,
  );
}

export function logError(what: string, err: unknown): void {
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : typeof err === "string" ? err : "unknown error";
  console.error(`${what}: ${maskCredentials(detail)}`);
}

export function logWarning(text: string): void {
  console.warn(maskCredentials(text));
}
