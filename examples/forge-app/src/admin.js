// A CommonJS module: the admin page's resolver.
const Resolver = require('@forge/resolver').default;
const api = require('@forge/api');
const { route } = require('@forge/api');

const resolver = new Resolver();

// 1.2 (medium): only the admin page's resolver reaches this call, but the key
// can be invoked by anyone who can load a module with this resolver.
resolver.define('listProjects', async () => {
  const jira = api.asApp();
  const res = await jira.requestJira(route`/rest/api/3/project/search`);
  return res.json();
});

module.exports = { adminHandler: resolver.getDefinitions() };
