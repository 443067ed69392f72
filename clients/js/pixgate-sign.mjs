// pixgate-sign: builds pixgate's signed URLs (`s`, MD5; `signature`, HMAC-SHA256) exactly as
// pixgate verifies them (docs/signing.md). No dependencies: Node >= 18 or any browser with
// WebCrypto. MD5 is implemented here because WebCrypto has none.
//
// Sign on your server. A secret shipped to a browser signs anything for anyone.

const CONTROL_NAMES = new Set(["s", "signature", "expires", "expiry", "method"]);

/**
 * A full signed URL: `base`, the source `prefix`, `path` with each segment percent-encoded once,
 * then `params` in the order given, the expiry (`expires` for md5, `expiry` for hmac), `method`,
 * and the signing parameter last. The same bytes `pixgate sign` prints for the same inputs.
 */
export async function signUrl(options) {
  const { base = "", path, params = [], scheme, secret, prefix = "", method } = options;
  const pairs = paramPairs(params);
  const expiresAt = expiryOf(options);
  if (expiresAt !== undefined) {
    pairs.push([scheme === "hmac" ? "expiry" : "expires", String(expiresAt)]);
  }
  if (method !== undefined) {
    pairs.push(["method", methodName(method)]);
  }
  const pathOnWire = rawPath(prefix, path);
  const query = pairs.map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`).join("&");
  return `${origin(base)}${pathOnWire}?${await signQuery(scheme, secret, pathOnWire, query)}`;
}

/**
 * `rawQuery` with the signing pair appended: `s=<hex>` or `signature=<base64url>`. `rawPath`
 * and `rawQuery` are the exact bytes that will be sent (percent-encoded, path starting with
 * `/` and including any source prefix, query without `?`); nothing is re-encoded.
 */
export async function signQuery(scheme, secret, rawPath, rawQuery) {
  let pair;
  if (scheme === "md5") {
    pair = `s=${md5Hex(secret + rawPath + (rawQuery ? `?${rawQuery}` : ""))}`;
  } else if (scheme === "hmac") {
    const message = rawPath.replace(/^\//, "") + (rawQuery ? `?${rawQuery}` : "");
    pair = `signature=${await hmacBase64Url(secret, message)}`;
  } else {
    throw new TypeError(`scheme must be "md5" or "hmac", not ${JSON.stringify(scheme)}`);
  }
  return rawQuery ? `${rawQuery}&${pair}` : pair;
}

/**
 * The path as pixgate's signer writes it: the normalised source prefix (`/shop`; `""` for
 * none), then the storage key's segments, each percent-encoded once.
 */
export function rawPath(prefix, key) {
  const trimmed = String(key).replace(/^\/+/, "");
  if (!trimmed) {
    throw new TypeError("path must name a file");
  }
  return `${normalisePrefix(prefix)}/${trimmed.split("/").map(encodeSegment).join("/")}`;
}

/** Lowercase hex MD5 of the UTF-8 bytes of `text` (RFC 1321). */
export function md5Hex(text) {
  const words = md5Words(new TextEncoder().encode(text));
  let hex = "";
  for (const word of words) {
    for (let shift = 0; shift < 32; shift += 8) {
      hex += ((word >>> shift) & 0xff).toString(16).padStart(2, "0");
    }
  }
  return hex;
}

function paramPairs(params) {
  const entries = Symbol.iterator in Object(params) ? [...params] : Object.entries(params);
  return entries.map(([name, value]) => {
    if (CONTROL_NAMES.has(name)) {
      throw new TypeError(`"${name}" is set by the signer: use the expiresAt/expiresIn/method options`);
    }
    if (value === undefined || value === null) {
      throw new TypeError(`parameter "${name}" has no value`);
    }
    return [String(name), String(value)];
  });
}

function expiryOf({ expiresAt, expiresIn }) {
  if (expiresAt !== undefined && expiresIn !== undefined) {
    throw new TypeError("give expiresAt or expiresIn, not both");
  }
  const at = expiresIn !== undefined ? Math.floor(Date.now() / 1000) + expiresIn : expiresAt;
  if (at !== undefined && !(Number.isSafeInteger(at) && at >= 0)) {
    throw new TypeError("expiresAt/expiresIn must be whole seconds");
  }
  return at;
}

function methodName(method) {
  const name = String(method).toLowerCase();
  if (name !== "get" && name !== "put") {
    throw new TypeError(`method must be "get" or "put", not ${JSON.stringify(method)}`);
  }
  return name;
}

// The base is an origin only: a path there would be sent but not signed.
function origin(base) {
  if (!base) {
    return "";
  }
  const url = new URL(base);
  if (!/^https?:$/.test(url.protocol) || url.pathname !== "/" || /[?#]/.test(base)) {
    throw new TypeError(`base must be an http(s) origin such as https://img.example.com, not ${base}`);
  }
  return base.replace(/\/$/, "");
}

// As pixgate's config reads `prefix`: "" or "/" is none, one trailing slash is dropped, and
// only characters that never need encoding are allowed, so the prefix is sent as written.
function normalisePrefix(prefix) {
  const trimmed = String(prefix).replace(/\/$/, "");
  if (trimmed && !/^(\/[A-Za-z0-9\-._~!$&'()*+,;=:@]+)+$/.test(trimmed)) {
    throw new TypeError(`prefix must be "" or like "/shop", not ${JSON.stringify(prefix)}`);
  }
  return trimmed;
}

// RFC 3986 path characters stay; controls, space, non-ASCII and "#%/<>?[\]^`{|} are escaped.
function encodeSegment(segment) {
  return percentEncode(segment, (b) => b > 0x20 && b < 0x7f && !'"#%/<>?[\\]^`{|}'.includes(String.fromCharCode(b)));
}

// application/x-www-form-urlencoded, as Rust's serde_urlencoded writes it: only
// alphanumerics and *-._ stay, a space is "+".
function formEncode(text) {
  return percentEncode(text, (b) => /[A-Za-z0-9*\-._]/.test(String.fromCharCode(b)), "+");
}

function percentEncode(text, keep, space = "%20") {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    if (byte === 0x20) {
      out += space;
    } else {
      out += keep(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
  }
  return out;
}

async function hmacBase64Url(secret, message) {
  const subtle = await webCrypto();
  const encoder = new TextEncoder();
  const key = await subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await subtle.sign("HMAC", key, encoder.encode(message)));
  return btoa(String.fromCharCode(...mac)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

// Browsers and Node >= 19 have a global; Node 18 keeps WebCrypto in node:crypto. The name is
// in a variable so that bundlers do not try to pull a Node module into a browser build.
async function webCrypto() {
  if (globalThis.crypto?.subtle) {
    return globalThis.crypto.subtle;
  }
  const nodeCrypto = "node:crypto";
  return (await import(nodeCrypto)).webcrypto.subtle;
}

// Per-round shift amounts and the constants floor(abs(sin(i + 1)) * 2^32) (RFC 1321, 3.4).
const MD5_SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const MD5_K = [
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

// The four state words after hashing `bytes`: padding to 56 mod 64, the bit length as 64-bit
// little-endian, then 64 operations per 64-byte block.
function md5Words(bytes) {
  const blocks = Math.ceil((bytes.length + 9) / 64);
  const padded = new Uint8Array(blocks * 64);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, (bytes.length * 8) >>> 0, true);
  view.setUint32(padded.length - 4, Math.floor(bytes.length / 0x20000000), true);
  const state = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  for (let offset = 0; offset < padded.length; offset += 64) {
    let [a, b, c, d] = state;
    for (let i = 0; i < 64; i++) {
      const round = i >> 4;
      let f;
      let g;
      if (round === 0) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (round === 1) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (round === 2) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      const sum = (a + f + MD5_K[i] + view.getUint32(offset + 4 * g, true)) | 0;
      const shift = MD5_SHIFTS[round * 4 + (i % 4)];
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0;
    }
    state[0] = (state[0] + a) | 0;
    state[1] = (state[1] + b) | 0;
    state[2] = (state[2] + c) | 0;
    state[3] = (state[3] + d) | 0;
  }
  return state;
}
