import api, { route } from '@forge/api';

const confluence = api.asApp();

class Pages {
  get(id: string) {
    return confluence.requestConfluence(route`/wiki/api/v2/pages/${id}/children`); // FINDING forge/asapp-without-authorization
  }
}

export const pages = new Pages();
