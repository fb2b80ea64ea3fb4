'use strict';
// The baseline of `cargo xtask bench`: the official QuickBlox JavaScript SDK
// (quickblox@2.23.0) creating application sessions with its own code, the
// auth module and the request proxy, unmodified. Two changes to its
// surroundings, both in its favour or neutral, are made here:
//
// - `Utils.getUrl` builds `http://` URLs: the SDK hard-codes `https://`, and
//   the emulator speaks plain HTTP on loopback, as it does to our clients.
// - `Utils.randomNonce` counts up: the SDK draws nonces from 0..9999, which
//   the emulator rejects as replays within a second at these rates. Our
//   clients get unique nonces in the bench too.
//
// Usage (prints one JSON line):
//   node bench.js <sdk-dir> local <iterations>
//     createSession answered by a canned 201 in memory (a stand-in for
//     `node-fetch`): what the SDK spends to sign, build and read one session.
//   node bench.js <sdk-dir> e2e <base-url> <in-flight> <warm-up-ms> <measure-ms>
//     createSession over node-fetch against the emulator at <base-url>. A
//     line {"phase":"measure"} comes first, when the warm-up ends, so that
//     the caller can read the emulator's CPU time over the same interval.

const path = require('path');

const [sdkDir, mode, ...args] = process.argv.slice(2);
const src = path.join(sdkDir, 'node_modules', 'quickblox', 'src');

const APP = { appId: 76730, authKey: 'bench-auth-key', authSecret: 'bench-auth-secret' };
const EXPIRES = '2030-01-01T00:00:00Z';
const SESSION_BODY = JSON.stringify({
  session: {
    application_id: APP.appId,
    created_at: '2019-09-01T14:55:56Z',
    id: 1151827623,
    nonce: 4242,
    token: 'c56f382b402fb482086db956064592d3cd012bba',
    ts: 1700000000,
    updated_at: '2019-09-01T14:55:56Z',
    user_id: 0,
    _id: '1151827623',
  },
});

// Puts a module in place of `node-fetch` before the SDK requires it.
function replaceFetch(fetch) {
  const resolved = require.resolve('node-fetch', { paths: [src] });
  require.cache[resolved] = { id: resolved, filename: resolved, loaded: true, exports: fetch };
}

// The SDK's auth module over its request proxy, with the app's credentials.
function loadSdk(apiHost) {
  const config = require(path.join(src, 'qbConfig'));
  const Utils = require(path.join(src, 'qbUtils'));
  const ServiceProxy = require(path.join(src, 'qbProxy'));
  const AuthProxy = require(path.join(src, 'modules', 'qbAuth'));
  config.creds.appId = APP.appId;
  config.creds.authKey = APP.authKey;
  config.creds.authSecret = APP.authSecret;
  config.endpoints.api = apiHost;
  let nonce = 0;
  Utils.randomNonce = () => ++nonce;
  Utils.getUrl = (base, id) =>
    'http://' + config.endpoints.api + '/' + base + (id ? '/' + id : '') + config.urls.type;
  const auth = new AuthProxy(new ServiceProxy());
  return () =>
    new Promise((resolve, reject) => {
      auth.createSession((err, session) => {
        if (err) reject(err);
        else if (!session || !session.token) reject(new Error('no token in the answer'));
        else resolve(session);
      });
    });
}

function cpuMicros() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

async function local(iterations) {
  replaceFetch((url, request) =>
    Promise.resolve({
      status: 201,
      headers: { get: (name) => (name === 'qb-token-expirationdate' ? EXPIRES : null) },
      json: () => Promise.resolve(JSON.parse(SESSION_BODY)),
      text: () => Promise.resolve(SESSION_BODY),
      request,
    })
  );
  const createSession = loadSdk('127.0.0.1:9');
  // Warm-up: let the JIT compile the hot paths before measuring.
  for (let i = 0; i < Math.min(iterations, 20000); i++) await createSession();
  const cpu = cpuMicros();
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await createSession();
  const ns = Number(process.hrtime.bigint() - started);
  return { ops: iterations, wall_ns_per_op: ns / iterations, cpu_us_per_op: (cpuMicros() - cpu) / iterations };
}

async function e2e(baseUrl, inFlight, warmUpMs, measureMs) {
  const createSession = loadSdk(new URL(baseUrl).host);
  const rounds = async (ms) => {
    const deadline = Date.now() + ms;
    const tally = { ops: 0, errors: 0, first_error: null };
    const loop = async () => {
      while (Date.now() < deadline) {
        try {
          await createSession();
          tally.ops++;
        } catch (err) {
          tally.errors++;
          if (tally.first_error === null) tally.first_error = JSON.stringify(err).slice(0, 300);
        }
      }
    };
    await Promise.all(Array.from({ length: inFlight }, loop));
    return tally;
  };
  await rounds(warmUpMs);
  process.stdout.write('{"phase":"measure"}\n');
  const cpu = cpuMicros();
  const started = process.hrtime.bigint();
  const tally = await rounds(measureMs);
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  return { ...tally, secs, cpu_us: cpuMicros() - cpu };
}

async function main() {
  let result;
  if (mode === 'local') {
    result = await local(Number(args[0]));
  } else if (mode === 'e2e') {
    result = await e2e(args[0], Number(args[1]), Number(args[2]), Number(args[3]));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err) => {
  process.stderr.write(`js-sdk bench: ${err && err.stack ? err.stack : JSON.stringify(err)}\n`);
  process.exit(1);
});
