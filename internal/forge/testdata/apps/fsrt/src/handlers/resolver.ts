import Resolver from '@forge/resolver';
import * as api from '@forge/api';
import { pages } from '../lib';
import readPage from '../lib/read';

export const resolver = new Resolver();

resolver.define('namespace', ({ payload }) =>
  api.asApp().requestConfluence(api.route`/wiki/api/v2/pages/${payload.id}`), // FINDING forge/asapp-without-authorization
);

resolver.define('callback', async ({ payload }) => {
  const out: unknown[] = [];
  payload.ids.forEach((id: string) => {
    out.push(pages.get(id)); // reaches lib/pages.ts
  });
  return out;
});

resolver.define('promise', ({ payload }) =>
  Promise.resolve(payload.id).then((id) => readPage(id)),
);

resolver.define('switch', async ({ payload }) => {
  switch (payload.kind) {
    case 'page':
      return api.asApp().requestConfluence(api.route`/wiki/api/v2/pages/${payload.id}`, { method: 'DELETE' }); // FINDING forge/asapp-without-authorization
    default:
      return null;
  }
});

resolver.define('catch', async ({ payload }) => {
  try {
    return JSON.parse(payload.raw);
  } catch (e) {
    return api.asApp().requestConfluence(api.route`/wiki/api/v2/blogposts/${payload.id}`); // FINDING forge/asapp-without-authorization
  }
});
