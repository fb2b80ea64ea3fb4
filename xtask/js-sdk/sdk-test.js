'use strict';
// The official QuickBlox JavaScript SDK (quickblox@2.23.0) against
// `qb-auth emulator`, run by `cargo xtask js-sdk-test` with the world in
// emulator.toml beside this file. The SDK's own auth module and request
// proxy do every call; two things around them change, as in bench.js:
//
// - `Utils.getUrl` builds `http://` URLs: the SDK hard-codes `https://`,
//   and the emulator speaks plain HTTP on loopback.
// - `Utils.randomNonce` counts up from a random start: the SDK draws from
//   0..9999, and two sessions created in the same second would collide now
//   and then (the emulator refuses the replay, as QuickBlox does), which
//   would make this test fail by chance.
//
// Usage: node sdk-test.js <sdk-dir> <emulator-base-url>
// Prints one line per check ("ok N - ..."); exits 1 at the first failure.

const path = require('path');

const [sdkDir, baseUrl] = process.argv.slice(2);
const src = path.join(sdkDir, 'node_modules', 'quickblox', 'src');

// The world of emulator.toml.
const APP = { appId: 76730, authKey: 'sdk-test-auth-key', authSecret: 'sdk-test-auth-secret' };
const USER = { id: 501, login: 'sdk-tester', email: 'sdk-tester@example.com', password: 'sdk tester&pw=1' };

const config = require(path.join(src, 'qbConfig'));
const Utils = require(path.join(src, 'qbUtils'));
const ServiceProxy = require(path.join(src, 'qbProxy'));
const AuthProxy = require(path.join(src, 'modules', 'qbAuth'));

config.creds.appId = APP.appId;
config.creds.authKey = APP.authKey;
config.creds.authSecret = APP.authSecret;
config.endpoints.api = new URL(baseUrl).host;
let nonce = Math.floor(Math.random() * 1e9);
Utils.randomNonce = () => ++nonce;
Utils.getUrl = (base, id) =>
  'http://' + config.endpoints.api + '/' + base + (id ? '/' + id : '') + config.urls.type;

const service = new ServiceProxy();
const auth = new AuthProxy(service);

// The SDK's callbacks, as promises: resolve with the result, reject with its error object.
const call = (method, ...args) =>
  new Promise((resolve, reject) => {
    auth[method](...args, (err, res) => (err ? reject(err) : resolve(res)));
  });
const refused = (method, ...args) =>
  call(method, ...args).then(
    (res) => {
      throw new Error(`${method} succeeded: ${JSON.stringify(res)}`);
    },
    (err) => err
  );

let checks = 0;
function check(what, ok, detail) {
  checks += 1;
  if (!ok) {
    throw new Error(`not ok ${checks} - ${what}: ${JSON.stringify(detail)}`);
  }
  process.stdout.write(`ok ${checks} - ${what}\n`);
}

async function lastRequest() {
  const answer = await fetch(`${baseUrl}/_emulator/requests?limit=1`);
  const body = await answer.json();
  return body.requests[0];
}

async function main() {
  const app = await call('createSession');
  check('an application session', app.user_id === 0 && app.token.length > 0, app);

  const byLogin = await call('createSession', { login: USER.login, password: USER.password });
  check('a user session by login', byLogin.user_id === USER.id, byLogin);

  const byEmail = await call('createSession', { email: USER.email, password: USER.password });
  check('a user session by email', byEmail.user_id === USER.id, byEmail);

  const fresh = await call('createSession');
  const user = await call('login', { login: USER.login, password: USER.password });
  check('login upgrades the application session', user.id === USER.id, user);
  const upgraded = await call('getSession');
  check(
    'getSession: the same token, now the user\'s',
    upgraded.session.user_id === USER.id && upgraded.session.token === fresh.token,
    upgraded
  );

  await call('logout');
  const downgraded = await call('getSession');
  check('logout: the token is an application session again', downgraded.session.user_id === 0, downgraded);

  await call('destroySession');
  service.setSession({ token: fresh.token });
  const gone = await refused('getSession');
  check(
    'destroySession: the old token is refused',
    gone.code === 401 && JSON.stringify(gone.detail).includes('Required session does not exist'),
    gone
  );

  const wrongPassword = await refused('createSession', { login: USER.login, password: 'not-the-password' });
  check(
    'a wrong password: 401',
    wrongPassword.code === 401 && JSON.stringify(wrongPassword.message).includes('Unauthorized'),
    wrongPassword
  );

  // The secret as a file often holds it: with a line break.
  config.creds.authSecret = APP.authSecret + '\n';
  const wrongSecret = await refused('createSession');
  config.creds.authSecret = APP.authSecret;
  check(
    'a wrong secret: 422 Unexpected signature, QuickBlox\'s body',
    wrongSecret.code === 422 &&
      JSON.stringify(wrongSecret.message) === JSON.stringify({ errors: { base: ['Unexpected signature'] } }),
    wrongSecret
  );
  const logged = await lastRequest();
  check(
    'its diagnosis, through /_emulator/requests',
    logged.status === 422 &&
      logged.diagnosis.cause === 'wrong_secret' &&
      logged.diagnosis.explanation.startsWith('signed with the auth secret followed by a line break') &&
      logged.diagnosis.string_to_sign.startsWith(`application_id=${APP.appId}&auth_key=${APP.authKey}&nonce=`) &&
      !JSON.stringify(logged).includes(APP.authSecret),
    logged
  );

  const stats = await (await fetch(`${baseUrl}/_emulator/stats`)).json();
  check(
    'the emulator counted it all',
    stats.sessions_created === 4 &&
      stats.logins === 1 &&
      stats.logouts === 1 &&
      stats.sessions_destroyed === 1 &&
      stats.refusals.unexpected_signature === 1 &&
      stats.refusals.wrong_credentials === 1 &&
      stats.refusals.unknown_token === 1,
    stats
  );
  process.stdout.write(`${checks} passed, 0 failed\n`);
}

main().catch((err) => {
  process.stderr.write(`js-sdk test: ${err && err.stack ? err.stack : JSON.stringify(err)}\n`);
  process.exit(1);
});
