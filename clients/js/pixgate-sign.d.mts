// Types of pixgate-sign.mjs: signed URLs as pixgate verifies them (docs/signing.md).

/** `md5`: the `s` parameter (imgix, Gumlet). `hmac`: the `signature` parameter (ittybit). */
export type Scheme = "md5" | "hmac";

/** Transform parameters, in the order they are sent. A plain object keeps insertion order. */
export type Params =
  | Iterable<readonly [string, string | number]>
  | Record<string, string | number>;

export interface SignUrlOptions {
  /** An origin such as `https://img.example.com`; leave out for a path and query only. */
  base?: string;
  /** The file inside the source, decoded (`albums/cat été.png`); each segment is encoded once. */
  path: string;
  /** Transform parameters; `s`, `signature`, `expires`, `expiry` and `method` are refused. */
  params?: Params;
  scheme: Scheme;
  /** The source's first `md5_tokens` entry (md5) or `hmac_keys` entry (hmac). */
  secret: string;
  /** The source's `prefix` (`/shop`), as in pixgate.toml; default none. */
  prefix?: string;
  /** Absolute expiry in unix seconds (`expires` for md5, `expiry` for hmac). */
  expiresAt?: number;
  /** Expiry as whole seconds from now; give this or `expiresAt`, not both. */
  expiresIn?: number;
  /** `put` for an upload URL; `get` is what a URL without `method` means. */
  method?: "get" | "put" | "GET" | "PUT";
}

/** The full signed URL, byte for byte what `pixgate sign` prints for the same inputs. */
export function signUrl(options: SignUrlOptions): Promise<string>;

/**
 * `rawQuery` with `s=…` or `signature=…` appended, signing the exact bytes given: `rawPath`
 * percent-encoded and starting with `/` (source prefix included), `rawQuery` without `?`.
 */
export function signQuery(
  scheme: Scheme,
  secret: string,
  rawPath: string,
  rawQuery: string,
): Promise<string>;

/** The source prefix and the key's segments, each percent-encoded once: `/shop/a%20b.png`. */
export function rawPath(prefix: string, key: string): string;

/** Lowercase hex MD5 of the UTF-8 bytes of `text`. */
export function md5Hex(text: string): string;
