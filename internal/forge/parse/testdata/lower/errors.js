const ok = before();
function broken( { call(); 
const after = later();
if (x { y(); }
resolver.define('key', async ({ payload }) => {
  await api.asApp().requestJira(route`/rest/api/3/issue/${payload.key}`)
  const = ;
});
