import { storage } from '@forge/api';
import { kvs } from '@forge/kvs';
import crypto from 'crypto';

const ok = { statusCode: 200, headers: { 'Content-Type': ['application/json'] }, body: '{}' };
const denied = { statusCode: 401, headers: {}, body: '' };

function signature(body: string, secret: string): string {
  return crypto.createHmac('sha256', secret).update(body).digest('hex');
}

// 1.1: the event is stored before (and without) any check of who sent it.
export async function webhook(request: any) {
  const event = JSON.parse(request.body);
  await storage.set(`event-${event.id}`, event);
  return ok;
}

// Correct: the signature is checked in constant time before anything happens.
export async function signedWebhook(request: any) {
  const secret = await kvs.getSecret('webhook-secret');
  const expected = Buffer.from(signature(request.body, secret));
  const given = Buffer.from(request.headers['x-signature']?.[0] ?? '');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    return denied;
  }
  await storage.set('last-event', JSON.parse(request.body));
  return ok;
}

// 1.1 (low): verified, but with ===, which is not constant-time.
export const legacyWebhook = async (request: any) => {
  const token = request.queryParameters.token?.[0];
  if (token !== process.env.WEBHOOK_TOKEN) {
    return denied;
  }
  await storage.set('legacy-event', request.body);
  return ok;
};
