import Resolver from '@forge/resolver';
import api, { route, assumeTrustedRoute } from '@forge/api';

const resolver = new Resolver();

resolver.define('issue', ({ payload }) => api.asUser().requestJira(route`/rest/api/3/issue/${payload.key}`));

// A Confluence path not known statically: Confluence scopes are not judged.
resolver.define('content', ({ payload }) => api.asUser().requestConfluence(assumeTrustedRoute(`/wiki/${payload.path}`))); // FINDING forge/trusted-route-injection

export const handler = resolver.getDefinitions();
