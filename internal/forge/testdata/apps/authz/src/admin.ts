import Resolver from '@forge/resolver';
import api, { route } from '@forge/api';

const resolver = new Resolver();

resolver.define('settings', async () => {
  return api.asApp().requestJira(route`/rest/api/3/project/search`); // FINDING forge/asapp-without-authorization-admin-only
});

export const handler = resolver.getDefinitions();
