/**
 * The COS signing percent-encoding: UTF-8, uppercase hex, and only `A-Z a-z 0-9 - _ . ~` left as they are.
 * `encodeURIComponent` leaves `! ' ( ) *` alone, so those are encoded on top.
 */
export function cosEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * An object key as it goes in a URL path: each byte encoded with {@link cosEncode}, then `/` put back, so
 * `dir/a b(1).mp4` becomes `dir/a%20b%281%29.mp4`.
 */
export function encodeKeyPath(key: string): string {
  return cosEncode(key).replace(/%2F/g, '/');
}
