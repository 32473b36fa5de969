import Resolver from '@forge/resolver';
import { kvs } from '@forge/kvs';
import { storage } from '@forge/api';

const resolver = new Resolver();

resolver.define('saveToken', async ({ payload }) => {
  await storage.set('api-token', payload.value); // FINDING forge/secret-in-plain-storage
  await kvs.set('settings', { theme: payload.theme });
  await kvs.setSecret('api-token', payload.value);
});

resolver.define('savePassword', async ({ payload }) => {
  await kvs.set(`user-${payload.id}`, { password: payload.password }); // FINDING forge/secret-in-plain-storage
  console.log('saving for', payload.id);
});

export const handler = resolver.getDefinitions();
