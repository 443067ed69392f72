// Drives the playground page (src/http/handlers/playground.rs) in headless Chromium through
// playwright-core: pick an image, set w and fm, read the URL, sign it with the bearer key,
// see the signed result at the requested width, then a wrong key's and a missing file's
// error codes. Run by scripts/playground-e2e.sh, which starts the server.
// Usage: node scripts/playground-e2e.mjs BASE_URL BEARER_KEY
import { createRequire } from "node:module";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, key] = process.argv.slice(2);
if (!base || !key) {
  console.error("usage: node scripts/playground-e2e.mjs BASE_URL BEARER_KEY");
  process.exit(2);
}
const require = createRequire(join(process.env.PLAYWRIGHT_DIR || "target/playwright", "/"));
const { chromium } = require("playwright-core");

// Without the networking flags Chromium keeps reaching for Google's hosts, which a closed
// network refuses; a fresh profile keeps runs independent.
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const profile = process.env.PROFILE_DIR || mkdtempSync(join(tmpdir(), "pixgate-e2e-"));
const STEP_MS = 20_000;

const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: FLAGS,
});
const problems = [];
let step = "start";
let page = null;
try {
  page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  // A policy violation or a script error is a failure even when the checks below pass.
  page.on("console", (m) => { if (m.type() === "error" && !expectedError(m.text())) problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));

  step = "open the page";
  const answer = await page.goto(base + "/_pixgate/playground");
  check(answer.status() === 200, "page status " + answer.status());

  step = "pick the image";
  await page.waitForSelector('#source option[value="demo"]', { state: "attached" });
  await page.waitForSelector('#image option[value="cups.png"]', { state: "attached" });
  const listed = await page.$$eval("#image option", (os) => os.map((o) => o.value).filter(Boolean));
  check(same(listed, ["albums/forest.jpg", "cups.png"]), "listed " + JSON.stringify(listed));
  await page.selectOption("#image", "cups.png");

  step = "set w=120 and fm=png";
  await page.fill("#w", "120");
  await page.selectOption("#fm", "png");
  const unsigned = base + "/cups.png?w=120&fm=png";
  await page.waitForFunction((want) => document.getElementById("url").value === want, unsigned);

  step = "the unsigned result and the original load";
  await waitWidth(page, "#result", 120);
  await waitWidth(page, "#original", 640);

  step = "sign with the bearer key";
  await page.fill("#key", key);
  await page.click("#sign");
  await page.waitForFunction(() => document.getElementById("signed").value.includes("signature="));
  const signed = await page.$eval("#signed", (o) => o.value);
  check(signed.startsWith(base + "/cups.png?") && signed.includes("w=120") && signed.includes("fm=png"),
    "signed URL " + signed);
  await page.waitForFunction(() => document.getElementById("result-status").textContent.includes("image/png"));
  await waitWidth(page, "#result", 120);

  step = "the key stays in the page";
  check(!page.url().includes(key), "key in the page's URL");
  const stored = await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length);
  check(stored === 0, "something was stored: " + stored);

  step = "a wrong key shows its error code";
  await page.fill("#key", "wrong-key");
  await page.click("#sign");
  await page.waitForFunction(() => document.getElementById("sign-error").textContent.includes("403 forbidden"));
  check((await page.$eval("#signed", (o) => o.value)) === "", "a signed URL beside the error");

  step = "a missing image shows its status and code";
  await page.fill("#path", "missing.png");
  await page.waitForFunction(() => document.getElementById("result-status").textContent.startsWith("404 not_found"));
} catch (e) {
  problems.push(e.message.split("\n")[0]);
  if (page) problems.push("page shows: " + JSON.stringify(await shown(page).catch(() => null)));
} finally {
  await context.close();
}
if (problems.length) {
  console.error(`playground e2e failed at "${step}":\n  ` + problems.join("\n  "));
  process.exit(1);
}
console.log("playground e2e: ok");

function check(ok, what) {
  if (!ok) throw new Error(what);
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// Failed fetches the test provokes (the wrong key, the missing file) are logged by Chromium.
function expectedError(text) {
  return /status of (403|404)/.test(text);
}

// What the page displays, for a failure's report.
async function shown(page) {
  return page.evaluate(() => {
    const text = (id) => document.getElementById(id).value ?? document.getElementById(id).textContent;
    return Object.fromEntries(["url", "signed", "sign-error", "source-note", "original-status",
      "result-status"].map((id) => [id, text(id)]));
  });
}

async function waitWidth(page, selector, width) {
  await page.waitForFunction(([s, w]) => {
    const img = document.querySelector(s);
    return img.complete && img.naturalWidth === w;
  }, [selector, width]);
}
