import api, { route } from '@forge/api';

// A Rovo action: its inputs are the caller's to choose.
export const handler = async (payload: { pageId: string }) => {
  const res = await api.asApp().requestConfluence(route`/wiki/api/v2/pages/${payload.pageId}?body-format=storage`); // FINDING forge/asapp-without-authorization
  return res.json();
};
