// Runs every example of examples.mjs against a running impactapi and checks that each answers 2xx
// with a JSON body holding `data`. Starts nothing: `make test-seed` starts the server.
//
//   BASE=http://127.0.0.1:8080 IMPACT_API_KEY=ia_sk_... node tests/seed/run.mjs
//
// Node 20+ (global fetch), no packages. SEED_VERBOSE=1 prints every response body.
// Prints one line per example, then `seed: N passed, M failed`; exits 1 on any failure.

import { examples } from "./examples.mjs";

const BASE = (process.env.BASE ?? "").replace(/\/+$/, "");
const KEY = process.env.IMPACT_API_KEY ?? "";
const VERBOSE = process.env.SEED_VERBOSE === "1";
const TIMEOUT_MS = 15_000;

if (!BASE || !KEY) {
  console.error("seed: set BASE (e.g. http://127.0.0.1:8080) and IMPACT_API_KEY");
  process.exit(2);
}

/** A call made with the API key by the runner itself (setup), failing loudly. */
async function api(method, path, body) {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`setup: ${method} ${path} answered ${response.status}: ${text}`);
  }
  return JSON.parse(text).data;
}

/** Frees the external ids the examples create or set, so a second run against one server works. */
async function clearExternalIds() {
  const taken = {
    customers: ["customer-456", "customer-456-updated"],
    vendors: ["store-123", "store-123-updated"],
  };
  for (const [collection, externalIds] of Object.entries(taken)) {
    for (const externalId of externalIds) {
      const found = await api("GET", `/${collection}?external_id=${encodeURIComponent(externalId)}`);
      for (const party of found) {
        await api("DELETE", `/${collection}/${party.id}`);
      }
    }
  }
}

/** The objects whose ids replace the seed's hard-coded ones. */
async function setup() {
  await clearExternalIds();
  const customer = await api("POST", "/customers", { name: "Seed runner customer" });
  const vendor = await api("POST", "/vendors", { name: "Seed runner vendor" });
  const [intent] = await api("POST", "/donation_intents", [
    { amount: 500, campaign_identifier: "cleanhub" },
  ]);
  const addOn = await api("POST", "/sessions", {
    type: "add_on",
    amount: 500,
    available_campaigns: ["trees-for-the-future", "cleanhub"],
    customer_id: customer.id,
    vendor_id: vendor.id,
  });
  const portionOfSales = await api("POST", "/sessions", {
    type: "portion_of_sales",
    allocations: [{ campaign_identifier: "cleanhub", amount: 100 }],
    vendor_id: vendor.id,
  });
  return {
    customer: customer.id,
    vendor: vendor.id,
    intent: intent.id,
    addOnSession: addOn.id,
    addOnSessionSecret: addOn.session_secret,
    portionOfSalesSession: portionOfSales.id,
  };
}

/** Runs one example with a fetch that records each response and a console that keeps the output. */
async function runExample(example, ids) {
  const calls = [];
  const logged = [];
  const recordingFetch = async (url, init = {}) => {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    calls.push({
      method: init.method ?? "GET",
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
    });
    return response;
  };
  const quietConsole = { log: (...args) => logged.push(args.length === 1 ? args[0] : args) };

  const problems = [];
  try {
    await example.run({ BASE, ids, fetch: recordingFetch, console: quietConsole });
  } catch (error) {
    problems.push(`threw ${error.name}: ${error.message}`);
  }
  if (calls.length !== 1) {
    problems.push(`made ${calls.length} requests, expected 1`);
  }
  const call = calls[0];
  if (call && (call.status < 200 || call.status > 299)) {
    problems.push(`status ${call.status}`);
  }
  if (call && !call.contentType.includes("application/json")) {
    problems.push(`content-type "${call.contentType}"`);
  }
  const body = logged[0];
  if (problems.length === 0 && (body === null || typeof body !== "object" || !("data" in body))) {
    problems.push("body has no `data`");
  }
  return { status: call?.status, problems, body };
}

let ids;
try {
  ids = await setup();
} catch (error) {
  console.error(error.message);
  console.log(`seed: 0 passed, ${examples.length} failed`);
  process.exit(1);
}

let passed = 0;
let failed = 0;
for (const example of examples) {
  const { status, problems, body } = await runExample(example, ids);
  if (problems.length === 0) {
    passed += 1;
    console.log(`ok    ${example.name} (${status})`);
  } else {
    failed += 1;
    console.log(`FAIL  ${example.name}: ${problems.join("; ")}`);
    console.log(`      body: ${JSON.stringify(body)?.slice(0, 1000)}`);
  }
  if (VERBOSE) {
    console.log(`      ${JSON.stringify(body)}`);
  }
}
console.log(`seed: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
