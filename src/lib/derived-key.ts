// Keys derived (HKDF-SHA-256) from a Worker secret, one per purpose: the secret itself never signs or
// encrypts anything, and a key for one job (UI sessions) cannot be used for another (stored credentials).

const encoder = new TextEncoder();

export interface KeyPurpose {
  /** HKDF salt and info: together they name the job. */
  salt: string;
  info: string;
  algorithm: SubtleCryptoImportKeyAlgorithm;
  usages: string[];
}

/** Per secret and purpose, per isolate (a secret rarely changes: the last few are kept). */
const cache = new Map<string, Promise<CryptoKey>>();
const MAX_KEYS = 8;

export function derivedKey(secret: string, purpose: KeyPurpose): Promise<CryptoKey> {
  const id = `${purpose.salt}\u0000${purpose.info}\u0000${secret}`;
  let key = cache.get(id);
  if (!key) {
    if (cache.size >= MAX_KEYS) cache.delete(cache.keys().next().value!);
    key = crypto.subtle
      .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
      .then((material) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: encoder.encode(purpose.salt), info: encoder.encode(purpose.info) },
          material,
          purpose.algorithm,
          false,
          purpose.usages,
        ),
      );
    cache.set(id, key);
  }
  return key;
}
