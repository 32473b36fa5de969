import api, { route, storage } from '@forge/api';
import crypto from 'crypto';
import jwt from 'jsonwebtoken';

const reply = (statusCode: number) => ({ statusCode, headers: {}, body: '' });

export async function open(request: any) {
  await storage.set('last', request.body); // FINDING forge/webtrigger-unverified
  return reply(204);
}

// FSRT counts reading an environment variable as authentication.
export async function envReadOnly(request: any) {
  const secret = process.env.WEBHOOK_SECRET;
  console.log('secret configured:', secret !== undefined);
  await api.asApp().requestJira(route`/rest/api/3/issue`, { method: 'POST', body: request.body }); // FINDING forge/webtrigger-unverified
  return reply(201);
}

export async function constantTime(request: any) {
  const expected = crypto.createHmac('sha256', process.env.WEBHOOK_SECRET).update(request.body).digest();
  const given = Buffer.from(request.headers['x-hub-signature'][0], 'hex');
  if (!crypto.timingSafeEqual(expected, given)) {
    return reply(401);
  }
  await storage.set('last', request.body);
  return reply(204);
}

export async function timing(request: any) {
  if (request.queryParameters.token[0] != process.env.WEBHOOK_TOKEN) { // FINDING forge/webtrigger-timing-unsafe-compare
    return reply(401);
  }
  await storage.set('last', request.body);
  return reply(204);
}

export async function jwtVerified(request: any) {
  const token = request.headers.authorization[0].slice(7);
  const claims = jwt.verify(token, process.env.JWT_SECRET);
  await storage.set(`claims-${claims.sub}`, claims);
  return reply(204);
}

export async function late(request: any) {
  await storage.set('attempt', Date.now()); // FINDING forge/webtrigger-unverified
  if (request.headers['x-token'][0] !== process.env.WEBHOOK_TOKEN) { // FINDING forge/webtrigger-timing-unsafe-compare
    return reply(401);
  }
  return reply(204);
}
