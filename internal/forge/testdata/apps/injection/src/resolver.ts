import Resolver from '@forge/resolver';
import api, { assumeTrustedRoute, fetch, route } from '@forge/api';
import { sql } from '@forge/sql';
import { exec } from 'child_process'; // FINDING forge/child-process

const resolver = new Resolver();
let lastCaller = '';
const LIMIT = 10;

function deepMerge(target: any, source: any) {
  for (const key of Object.keys(source)) {
    if (source[key] && typeof source[key] === 'object') {
      target[key] = target[key] || {}; // FINDING forge/prototype-pollution
      deepMerge(target[key], source[key]);
    } else {
      target[key] = source[key]; // FINDING forge/prototype-pollution
    }
  }
  return target;
}

function safeMerge(target: any, source: any) {
  for (const key in source) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      continue;
    }
    if (source[key] && typeof source[key] === 'object') {
      target[key] = safeMerge(target[key] || {}, source[key]);
    } else {
      target[key] = source[key];
    }
  }
  return target;
}

resolver.define('search', async ({ payload }) => {
  const rows = await sql.executeRaw(`SELECT id FROM notes WHERE owner = '${payload.owner}' LIMIT ${LIMIT}`); // FINDING forge/sql-injection
  const safe = await sql.prepare('SELECT id FROM notes WHERE owner = ?').bindParams(payload.owner).execute();
  return [rows, safe];
});

resolver.define('proxy', async ({ payload }) => {
  const a = await api.asUser().requestJira(assumeTrustedRoute(`/rest/api/3/${payload.path}`)); // FINDING forge/trusted-route-injection
  const b = await api.asUser().requestJira(assumeTrustedRoute('/rest/api/3/serverInfo'));
  const c = await api.asUser().requestJira(route`/rest/api/3/issue/${payload.key}`);
  return [a, b, c];
});

resolver.define('merge', async ({ payload }) => {
  const settings = {};
  deepMerge(settings, payload.settings);
  safeMerge({}, payload.settings);
  return settings;
});

resolver.define('fetch', async ({ payload }) => {
  const a = await fetch(payload.url); // FINDING forge/ssrf
  const b = await fetch(`https://api.example.com/items/${payload.id}`);
  return [a.status, b.status];
});

resolver.define('run', async ({ payload, context }) => {
  lastCaller = context.accountId; // FINDING forge/module-state-shared
  exec(`convert ${payload.file} out.png`); // FINDING forge/command-injection
  return LIMIT;
});

export const handler = resolver.getDefinitions();
