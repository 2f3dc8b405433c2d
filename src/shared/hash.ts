// String hashes for what needs a stable, cheap spread: shards (FNV-1a) and the replay
// sandbox's random seed (0.4.8's hash).

/** FNV-1a (32 bit) of a string's UTF-16 code units, as an unsigned integer. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The classic `hash * 31 + char` string hash (Java's `String.hashCode`), as an unsigned
 * integer. The replay sandbox seeds `Math.random` with it because 0.4.8 does (the same
 * workflow id gives the same sequence).
 */
export function stringHash31(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash >>> 0;
}
