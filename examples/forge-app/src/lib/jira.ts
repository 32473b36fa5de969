import api, { route, authorize } from '@forge/api';

const jira = api.asApp();

export async function getIssue(key: string) {
  const res = await jira.requestJira(route`/rest/api/3/issue/${key}`);
  return res.json();
}

export async function canEditIssue(key: string): Promise<boolean> {
  return authorize().onJiraIssue(key).canEdit();
}

export async function updateIssueSummary(key: string, summary: string) {
  return jira.requestJira(route`/rest/api/3/issue/${key}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ fields: { summary } }),
  });
}
