// A real, certified OpenID Provider for the sign-in tests: panva's oidc-provider (npm), on loopback.
// node provider.mjs PORT USERS.json REDIRECT_URI CLIENT_ID CLIENT_SECRET, with OIDC_PROVIDER_MODULE the path of
// oidc-provider's lib/index.js (installed by `make` into .cache/oidc: ES modules ignore NODE_PATH)
// USERS.json: {"login": {"email": ..., "email_verified": true, "name": ..., "groups": [...]}, ...}
// Its development interactions ask for a login (any password) and a consent: the browser tests fill them in.
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

// Streamlit's st.login asks prompt=select_account unless [auth] client_kwargs names a prompt; estate names
// "login" (which this provider's development interactions answer) unless the access file names another
const { default: Provider } = await import(pathToFileURL(process.env.OIDC_PROVIDER_MODULE).href);

const [port, usersFile, redirectUri, clientId, clientSecret] = process.argv.slice(2);
const users = JSON.parse(fs.readFileSync(usersFile, 'utf8'));

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  conformIdTokenClaims: false, // the ID token carries the scopes' claims (Streamlit's st.user reads the ID token)
  findAccount: async (ctx, id) => (users[id] ? {
    accountId: id,
    async claims() { return { sub: id, ...users[id] }; },
  } : undefined),
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => false },
  cookies: { keys: ['estate-test-provider-cookie-key'] },
});
provider.listen(Number(port), '127.0.0.1', () => { console.log(`ready ${port}`); });
