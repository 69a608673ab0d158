/**
 * Which hosts a caller may send us to (`model_config.base_url`). A host must be on
 * `UPSTREAM_ALLOWLIST` (`api.example.com`, or `*.example.com` for its subdomains), on the port
 * the entry names (`api.example.com:8443`) or, for an entry without one, 443 or 80; loopback,
 * private, link-local and cloud-metadata addresses only when the operator lists them exactly, so a
 * wildcard can never open the way to the inside of a network.
 */

const PRIVATE_NAMES = [/^localhost$/, /\.localhost$/, /^metadata(\.google\.internal)?$/, /\.internal$/, /\.local$/];

function ipv4(host: string): number[] | null {
  const m = host.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

/** Loopback, private, link-local, CGNAT, unspecified and metadata addresses and names. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (PRIVATE_NAMES.some((re) => re.test(host))) return true;
  const v4 = ipv4(host);
  if (v4) {
    const [a, b] = v4;
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (host.includes(":")) {
    // IPv6: loopback, unspecified, unique-local (fc00::/7), link-local (fe80::/10), IPv4-mapped.
    return (
      host === "::1" ||
      host === "::" ||
      /^f[cd][0-9a-f]{0,2}:/.test(host) ||
      /^fe[89ab][0-9a-f]?:/.test(host) ||
      host.startsWith("::ffff:")
    );
  }
  return false;
}

/** An allowlist entry: a host (or `*.` wildcard) and the one port it names, if it names one. */
interface Entry {
  host: string;
  port: string | null;
}

/** `api.example.com`, `api.example.com:8443`, `*.example.com`, `[::1]:8080`, `127.0.0.1:11434`. */
function parseEntry(entry: string): Entry {
  const bracketed = entry.match(/^(\[[^\]]+\])(?::(\d+))?$/);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] ?? null };
  const withPort = entry.match(/^([^:]+):(\d+)$/);
  if (withPort) return { host: withPort[1], port: withPort[2] };
  return { host: entry, port: null };
}

/** The port a request to `url` goes to. */
export function portOf(url: URL): string {
  return url.port || (url.protocol === "https:" ? "443" : "80");
}

/** A bare host allows the web's ports only: no other service on it is reachable by naming a port. */
const DEFAULT_PORTS = new Set(["443", "80"]);

function hostMatches(host: string, entry: string): boolean {
  if (host === entry) return true;
  // A wildcard never matches a private host: only an exact entry lets one in.
  return (
    entry.startsWith("*.") && !isPrivateHost(host) && host.endsWith(entry.slice(1)) && host.length > entry.length - 1
  );
}

/**
 * Whether a caller may send us to `url`: its host on the list (exactly, or under a `*.` entry)
 * and its port the one the entry names, or 443 or 80 for an entry that names none.
 */
export function urlAllowed(url: URL, allowlist: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  const port = portOf(url);
  return allowlist.some((raw) => {
    const entry = parseEntry(raw.toLowerCase());
    return hostMatches(host, entry.host) && (entry.port === null ? DEFAULT_PORTS.has(port) : entry.port === port);
  });
}

/** Whether the allowlist names `url`'s host at all, whatever the port: for a refusal that says which. */
function hostListed(url: URL, allowlist: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  return allowlist.some((raw) => hostMatches(host, parseEntry(raw.toLowerCase()).host));
}

/**
 * Why a caller-chosen URL (`model_config.base_url`, a server an owner adds) may not be fetched, or
 * null: http(s), no credentials in it, its host and port allowed. The words name `subject`, the
 * host and the port, never the path or query.
 */
export function urlRefusal(url: URL, allowlist: readonly string[], subject = "the URL"): string | null {
  if (url.protocol !== "https:" && url.protocol !== "http:") return `${subject} must be http(s)`;
  if (url.username || url.password) return `${subject} must not carry credentials`;
  if (urlAllowed(url, allowlist)) return null;
  const what = `${subject} host "${url.hostname}"`;
  if (hostListed(url, allowlist))
    return `${what} is allowed, but not on port ${portOf(url)}: UPSTREAM_ALLOWLIST must name the port ("${url.host}"); a host listed without one allows 443 and 80 only`;
  if (isPrivateHost(url.hostname))
    return `${what} is a private or local address, allowed only when listed exactly in UPSTREAM_ALLOWLIST`;
  return `${what} is not in UPSTREAM_ALLOWLIST`;
}
