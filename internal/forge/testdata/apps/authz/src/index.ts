import Resolver from '@forge/resolver';
import api, { route, authorize } from '@forge/api';

const resolver = new Resolver();

resolver.define('noCheck', async ({ payload }) => {
  const res = await api.asApp().requestJira(route`/rest/api/3/issue/${payload.key}`); // FINDING forge/asapp-without-authorization
  return res.json();
});

resolver.define('ignoredAuthorize', async ({ payload }) => {
  await authorize().onJiraIssue(payload.key).canEdit();
  return api.asApp().requestJira(route`/rest/api/3/issue/${payload.key}`, { method: 'PUT', body: '{}' }); // FINDING forge/asapp-without-authorization
});

resolver.define('gated', async ({ payload }) => {
  const allowed = await authorize().onJiraIssue(payload.key).canEdit();
  if (!allowed) {
    throw new Error('forbidden');
  }
  return api.asApp().requestJira(route`/rest/api/3/issue/${payload.key}`, { method: 'PUT', body: '{}' });
});

async function assertCanEdit(key: string) {
  if (!(await authorize().onJiraIssue(key).canEdit())) {
    throw new Error('forbidden');
  }
}

resolver.define('gatedByHelper', async ({ payload }) => {
  await assertCanEdit(payload.key);
  return api.asApp().requestJira(route`/rest/api/3/issue/${payload.key}`, { method: 'DELETE' });
});

resolver.define('wrongResource', async ({ payload }) => {
  await assertCanEdit(payload.source);
  return api.asApp().requestJira(route`/rest/api/3/issue/${payload.target}`, { method: 'DELETE' }); // FINDING forge/asapp-without-authorization
});

resolver.define('permissionApi', async ({ payload }) => {
  const res = await api.asUser().requestJira(route`/rest/api/3/mypermissions?permissions=EDIT_ISSUES&issueKey=${payload.key}`);
  const body = await res.json();
  if (!body.permissions.EDIT_ISSUES.havePermission) {
    return { error: 'forbidden' };
  }
  return api.asApp().requestJira(route`/rest/api/3/issue/${payload.key}`, { method: 'PUT', body: '{}' });
});

resolver.define('ternary', async ({ payload }) => {
  const ok = await authorize().onJiraIssue(payload.key).canEdit();
  return ok ? api.asApp().requestJira(route`/rest/api/3/issue/${payload.key}`) : null;
});

resolver.define('asUser', async ({ payload }) => {
  return api.asUser().requestJira(route`/rest/api/3/issue/${payload.key}`);
});

resolver.define('checkThenIgnore', async ({ payload }) => {
  const ok = await authorize().onJiraIssue(payload.key).canEdit();
  if (ok) {
    console.log('allowed');
  }
  return api.asApp().requestJira(route`/rest/api/3/issue/${payload.key}`, { method: 'PUT', body: '{}' }); // FINDING forge/asapp-without-authorization
});

export const handler = resolver.getDefinitions();
