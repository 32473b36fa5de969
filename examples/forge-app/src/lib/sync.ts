import jwt from 'jsonwebtoken';
import { fetch } from '@forge/api';
import { execSync } from 'child_process';

const SIGNING_KEY = 'k3y-d0-n0t-c0mmit-7f1b2c';

// A scheduled trigger that reports to an external service and to Jira.
export async function run() {
  const token = jwt.sign({ iss: 'sync' }, SIGNING_KEY); // 5: literal key

  await fetch('https://reports.example.com/ingest', {
    method: 'POST',
    headers: { Authorization: 'Bearer 9f8e7d6c5b4a39281706f5e4' }, // 5: literal credentials
    body: JSON.stringify({ token }),
  });

  // 10: an Atlassian user's API token, sent with Basic authentication.
  const site = process.env.SITE;
  const basic = Buffer.from(`bot@example.com:${process.env.ATLASSIAN_API_TOKEN}`).toString('base64');
  const res = await fetch(`https://${site}.atlassian.net/rest/api/3/myself`, {
    headers: { Authorization: `Basic ${basic}` },
  });

  console.log('synced with token', process.env.ATLASSIAN_API_TOKEN); // 5: secret in the log

  const version = execSync('git rev-parse HEAD').toString(); // 8: child_process
  return { status: res.status, version };
}
