// server.mjs runs a real OpenID Connect provider for docflow's tests:
// oidc-provider (OpenID Certified; installed by infra/local/tools.sh into
// .tools/oidc), with the clients and users of a JSON file, a login form
// that checks the user's password, and consent given without asking, as
// an office's own identity provider does for its own applications.
//
//   node infra/local/oidc/server.mjs CONFIG.json
//
// CONFIG is
//
//   {"provider": "DIR",   the directory npm installed oidc-provider under (its node_modules' parent)
//    "clients": [...],    client metadata as oidc-provider takes it (client_id, redirect_uris, …)
//    "users": [{"username": "...", "password": "...", "claims": {...}}]}
//
// The username is the subject (sub); claims are added to the ID token for
// the profile scope. It listens on 127.0.0.1 on a free port, prints its
// issuer URL as the first line on stdout, and exits when stdin closes or on
// SIGTERM, so that it does not outlive the test that started it.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { default: Provider } = await import(pathToFileURL(join(config.provider, 'node_modules/oidc-provider/lib/index.js')).href);

const users = new Map(config.users.map((u) => [u.username, u]));
const claimNames = [...new Set(config.users.flatMap((u) => Object.keys(u.claims ?? {})))];

// A fresh signing key per run: tokens of an earlier run must not verify.
const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
Object.assign(key, { kid: 'test-' + randomBytes(4).toString('hex'), alg: 'RS256', use: 'sig' });

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [key] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username', ...claimNames] },
  conformIdTokenClaims: false, // the claims go into the ID token, as Keycloak and Cognito put them
  features: { devInteractions: { enabled: false } },
  async findAccount(ctx, sub) {
    const u = users.get(sub);
    if (!u) return undefined;
    return { accountId: sub, claims: async () => ({ sub, preferred_username: sub, ...u.claims }) };
  },
});

// passwordOK compares in constant time.
function passwordOK(user, password) {
  const h = (s) => createHash('sha256').update(String(s)).digest();
  return user !== undefined && timingSafeEqual(h(user.password), h(password));
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginForm(res, uid, message, status = 200) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>统一身份认证</title>
<h1>统一身份认证（测试）</h1>${message ? `<p class="error">${esc(message)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
<label>用户名 <input name="login" autocomplete="username"></label>
<label>密码 <input name="password" type="password" autocomplete="current-password"></label>
<button>登录</button></form></html>`);
}

async function form(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 64 << 10) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

const app = provider.callback();
server.on('request', async (req, res) => {
  const m = new URL(req.url, issuer).pathname.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!m) return app(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    const { prompt, params, session, grantId } = details;
    if (prompt.name === 'login') {
      if (req.method !== 'POST' || !m[2]) return loginForm(res, details.uid);
      const f = await form(req);
      if (!passwordOK(users.get(f.get('login')), f.get('password'))) {
        return loginForm(res, details.uid, '用户名或密码错误', 401);
      }
      return await provider.interactionFinished(req, res, { login: { accountId: f.get('login') } }, { mergeWithLastSubmission: false });
    }
    if (prompt.name === 'consent') {
      const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      const d = prompt.details;
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
      return await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    }
    res.writeHead(400).end(`unexpected prompt ${prompt.name}`);
  } catch (err) {
    console.error(err);
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(`interaction failed: ${err.message}`);
  }
});

process.stdout.write(issuer + '\n');
const stop = () => { server.close(); process.exit(0); };
process.stdin.on('end', stop).on('close', stop).resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
