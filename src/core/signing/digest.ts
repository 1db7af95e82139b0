const encoder = new TextEncoder();

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  // WebCrypto exists in every browser on a secure context (https, localhost) and in Node 20+.
  if (!s) throw new Error('WebCrypto (crypto.subtle) is not available: serve the page over https or localhost');
  return s;
}

function toHex(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Lowercase hex SHA-1 of the UTF-8 bytes of `message`. */
export async function sha1Hex(message: string): Promise<string> {
  return toHex(await subtle().digest('SHA-1', encoder.encode(message)));
}

/** Lowercase hex HMAC-SHA1 keyed with the UTF-8 bytes of `key`. */
export async function hmacSha1Hex(key: string, message: string): Promise<string> {
  const k = await subtle().importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-1' }, false, [
    'sign',
  ]);
  return toHex(await subtle().sign('HMAC', k, encoder.encode(message)));
}
