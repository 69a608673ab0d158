/**
 * SQLite rows in a Durable Object are capped at 2 MB. Text that would not fit is cut, saying so,
 * rather than failing the write and with it the turn.
 */
const MAX_TEXT_BYTES = 1_500_000; // leaves room for the row's other columns
const utf8 = new TextEncoder();

export function fitText(text: string, maxBytes = MAX_TEXT_BYTES): string {
  // Fast path: even at 4 bytes a character it fits.
  if (text.length * 4 <= maxBytes) return text;
  const bytes = utf8.encode(text);
  if (bytes.length <= maxBytes) return text;
  const note = `\n…[not stored: this text was ${bytes.length} bytes, over the ${maxBytes}-byte storage limit; it was cut here]`;
  // Decoding a cut in the middle of a character drops that character, never corrupts the rest.
  const kept = new TextDecoder().decode(bytes.subarray(0, maxBytes - utf8.encode(note).length)).replace(/\uFFFD$/, "");
  return kept + note;
}
