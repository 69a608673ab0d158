/**
 * Which hosts a caller may send us to (`model_config.base_url`). A host must be on
 * `UPSTREAM_ALLOWLIST` (`api.example.com`, or `*.example.com` for its subdomains); loopback,
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

export function hostAllowed(hostname: string, allowlist: readonly string[]): boolean {
  const host = hostname.toLowerCase();
  if (allowlist.includes(host)) return true;
  if (isPrivateHost(host)) return false;
  return allowlist.some(
    (entry) => entry.startsWith("*.") && host.endsWith(entry.slice(1)) && host.length > entry.length - 1,
  );
}

/**
 * Why a caller-chosen URL may not be fetched, or null: the same rule as `model_config.base_url`
 * (http(s), no credentials in the URL, a host `hostAllowed` accepts).
 */
export function urlRefusal(url: URL, allowlist: readonly string[]): string | null {
  if (url.protocol !== "https:" && url.protocol !== "http:") return "the URL must be http(s)";
  if (url.username || url.password) return "the URL must not carry credentials";
  if (hostAllowed(url.hostname, allowlist)) return null;
  return isPrivateHost(url.hostname)
    ? `host "${url.hostname}" is a private or local address, allowed only when listed exactly in UPSTREAM_ALLOWLIST`
    : `host "${url.hostname}" is not in UPSTREAM_ALLOWLIST`;
}
