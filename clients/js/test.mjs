// Tests pixgate-sign.mjs: MD5 against RFC 1321's suite, every vector of clients/vectors.json,
// the options it refuses, and, given a pixgate base URL (clients/test.sh starts one), URLs it
// signs fetched from the live server. `node clients/js/test.mjs [BASE_URL]`; exits 1 on failure.

import { readFileSync } from "node:fs";
import { md5Hex, signQuery, signUrl } from "./pixgate-sign.mjs";

const baseUrl = process.argv[2];
const { vectors } = JSON.parse(readFileSync(new URL("../vectors.json", import.meta.url), "utf8"));
let failures = 0;

function check(what, ok, detail = "") {
  if (!ok) {
    failures += 1;
    console.error(`FAIL js: ${what} ${detail}`);
  }
}

async function refuses(what, options) {
  try {
    await signUrl(options);
    check(`refuses ${what}`, false, "(no error)");
  } catch (error) {
    check(`refuses ${what}`, error instanceof TypeError, String(error));
  }
}

// The URL a vector describes, built by this module.
async function build(vector) {
  if (vector.raw) {
    const { base, scheme, secret, path, query } = vector.raw;
    return `${base}${path}?${await signQuery(scheme, secret, path, query)}`;
  }
  const { expires_at, method, ...input } = vector.input;
  return signUrl({ ...input, expiresAt: expires_at ?? undefined, method: method ?? undefined });
}

const RFC1321 = {
  "": "d41d8cd98f00b204e9800998ecf8427e",
  a: "0cc175b9c0f1b6a831c399e269772661",
  abc: "900150983cd24fb0d6963f7d28e17f72",
  "message digest": "f96b697d7cb7938d525a2f31aaf161d0",
  abcdefghijklmnopqrstuvwxyz: "c3fcd3d76192e4007dfb496cca67e13b",
  ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789: "d174ab98d277d9f5a5611c2c9f419d9f",
  "12345678901234567890123456789012345678901234567890123456789012345678901234567890":
    "57edf4a22be3c955ac49da2e2107b67a",
};

async function offline() {
  for (const [text, digest] of Object.entries(RFC1321)) {
    check(`md5(${JSON.stringify(text)})`, md5Hex(text) === digest, md5Hex(text));
  }
  for (const vector of vectors) {
    const url = await build(vector);
    check(`vector "${vector.name}"`, url === vector.url, `\n  got  ${url}\n  want ${vector.url}`);
  }
  const object = await signUrl({ path: "a.png", params: { w: 1, h: 2 }, scheme: "md5", secret: "k" });
  const pairs = await signUrl({ path: "a.png", params: [["w", 1], ["h", 2]], scheme: "md5", secret: "k" });
  check("an object's insertion order is kept", object === pairs && object.startsWith("/a.png?w=1&h=2&s="), object);
  const now = Math.floor(Date.now() / 1000);
  const ttl = new URL(await signUrl({ base: "http://x.test", path: "a", scheme: "hmac", secret: "k", expiresIn: 60 }));
  const expiry = Number(ttl.searchParams.get("expiry"));
  check("expiresIn counts from now", expiry >= now + 60 && expiry <= now + 61, String(expiry));
  const signing = { path: "a.png", scheme: "md5", secret: "k" };
  await refuses("a signing parameter in params", { ...signing, params: { expires: 1 } });
  await refuses("both expiries", { ...signing, expiresAt: 1, expiresIn: 1 });
  await refuses("a fractional expiry", { ...signing, expiresAt: 1.5 });
  await refuses("a base with a path", { ...signing, base: "https://img.example.com/shop" });
  await refuses("a method other than get or put", { ...signing, method: "post" });
  await refuses("a prefix without a leading slash", { ...signing, prefix: "shop" });
  await refuses("an unknown scheme", { ...signing, scheme: "sha1" });
}

async function errorCode(response) {
  const body = await response.json().catch(() => ({}));
  return `${response.status} ${body?.error?.code}`;
}

function pngWidth(bytes) {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(16);
}

async function live(base) {
  const now = Math.floor(Date.now() / 1000);
  // Every vector: served, refused as expired (after its signature was checked), or uploaded.
  for (const vector of vectors) {
    const url = base + vector.url.slice(vector.url.indexOf("/", "https://".length));
    const put = vector.input?.method === "put";
    const response = await fetch(url, put ? { method: "PUT", body: readFileSync(new URL("../../fixtures/pixel-1x1.png", import.meta.url)) } : {});
    const expired = (vector.input?.expires_at ?? Infinity) < now;
    const want = put ? "201" : expired ? "403 expired" : "200";
    const got = response.ok ? String(response.status) : await errorCode(response);
    check(`live vector "${vector.name}"`, got === want, `${got}, want ${want}: ${url}`);
  }

  const demo = { base, scheme: "md5", secret: "FOO123bar" };
  const transform = await signUrl({ ...demo, path: "users/1.png", params: { w: 100, fm: "png" } });
  const image = await fetch(transform);
  const bytes = new Uint8Array(await image.arrayBuffer());
  check("a transform signed with s", image.status === 200 && pngWidth(bytes) === 100, `${image.status} ${transform}`);

  const shop = await signUrl({ base, prefix: "/shop", path: "albums/cat été+1.png", params: [["w", 50]], scheme: "hmac", secret: "shop-key", expiresIn: 300, method: "get" });
  const prefixed = await fetch(shop);
  const maxAge = Number(/max-age=(\d+)/.exec(prefixed.headers.get("cache-control"))?.[1]);
  check("signature and expiry on a prefixed source", prefixed.status === 200 && maxAge <= 300, `${prefixed.status} max-age ${maxAge} ${shop}`);

  const expired = await signUrl({ ...demo, path: "users/1.png", expiresAt: now - 60 });
  check("an expired URL", (await errorCode(await fetch(expired))) === "403 expired", expired);
  const tampered = transform.replace("w=100", "w=101");
  check("a tampered URL", (await errorCode(await fetch(tampered))) === "403 signature_invalid", tampered);
  const unsigned = transform.replace(/&s=.*$/, "");
  check("an unsigned URL", (await errorCode(await fetch(unsigned))) === "403 signature_required", unsigned);

  const original = new Uint8Array(await (await fetch(await signUrl({ ...demo, path: "users/1.png" }))).arrayBuffer());
  const key = `uploads/js-${Date.now()}.png`;
  const hmac = { base, path: key, scheme: "hmac", secret: "demo-key", expiresIn: 300 };
  // A small body: pixgate refuses before reading it, and undici reports a large one cut off
  // mid-send as a network error instead of the 403.
  const wrongMethod = await fetch(await signUrl(hmac), { method: "PUT", body: new Uint8Array(16) });
  check("a GET URL cannot upload", (await errorCode(wrongMethod)) === "403 method_mismatch");
  const upload = await fetch(await signUrl({ ...hmac, method: "put" }), { method: "PUT", body: original });
  const file = upload.status === 201 ? (await upload.json()).data : {};
  check("an upload signed with method=put", file.filesize === original.length, `${upload.status} ${JSON.stringify(file)}`);
  const stored = new Uint8Array(await (await fetch(await signUrl(hmac))).arrayBuffer());
  check("the upload is served to a signed GET", Buffer.from(stored).equals(Buffer.from(original)));
}

await offline();
if (baseUrl) {
  await live(baseUrl.replace(/\/$/, ""));
}
console.log(failures ? `js: ${failures} failed` : `js: ok (${vectors.length} vectors${baseUrl ? `, live against ${baseUrl}` : ""})`);
process.exit(failures ? 1 : 0);
