/**
 * Small secrets at rest (OAuth tokens, client secrets, header values), sealed with AES-GCM under a
 * key derived from a Worker secret by HKDF. Each sealed value is bound to where it is stored (the
 * additional data): a row copied to another owner or another key does not open.
 */

const encoder = new TextEncoder();
const IV_BYTES = 12;
/** One secret per deployment; a few more only while a key is being rotated. */
const MAX_KEYS = 4;
const keys = new Map<string, Promise<CryptoKey>>();

function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
      .then((material) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: encoder.encode("edge-chat"), info: encoder.encode("sealed v1") },
          material,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value!);
    keys.set(secret, key);
  }
  return key;
}

/** `text` encrypted under `secret`, bound to `binding`: the IV, then the ciphertext and its tag. */
export async function seal(secret: string, text: string, binding: string): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(binding) },
    await keyFor(secret),
    encoder.encode(text),
  );
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return out;
}

/** The text `seal` sealed; throws when the key, the binding or a byte differs. */
export async function unseal(secret: string, sealed: ArrayBuffer | Uint8Array, binding: string): Promise<string> {
  const bytes = sealed instanceof Uint8Array ? sealed : new Uint8Array(sealed);
  const text = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: bytes.subarray(0, IV_BYTES), additionalData: encoder.encode(binding) },
    await keyFor(secret),
    bytes.subarray(IV_BYTES),
  );
  return new TextDecoder().decode(text);
}

/** SHA-256 of `text` as hex: a lookup key that does not reveal what it was made from. */
export async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `bytes` random bytes as base64url: an unguessable identifier. */
export function randomToken(bytes = 24): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}
