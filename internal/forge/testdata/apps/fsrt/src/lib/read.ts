import api, { route } from '@forge/api';

export default async function readPage(id: string) {
  return api.asApp().requestConfluence(route`/wiki/api/v2/pages/${id}/labels`); // FINDING forge/asapp-without-authorization
}
