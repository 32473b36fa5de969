import { fetch } from '@forge/api';

const email = 'bot@example.com';

export async function syncUsers(site: string) {
  const auth = Buffer.from(`${email}:${process.env.ATLASSIAN_TOKEN}`).toString('base64');
  await fetch(`https://${site}.atlassian.net/rest/api/3/users/search`, { // FINDING forge/atlassian-credentials
    headers: { Authorization: `Basic ${auth}`, Accept: 'application/json' },
  });
  await fetch('https://api.atlassian.com/admin/v1/orgs', { // FINDING forge/atlassian-credentials
    headers: { authorization: 'Bearer ' + process.env.ORG_ADMIN_KEY },
  });
  await fetch('https://hooks.example.com/notify', {
    method: 'POST',
    headers: { Authorization: `Basic ${auth}` },
  });
}
