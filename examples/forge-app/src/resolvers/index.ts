import Resolver from '@forge/resolver';
import { storage } from '@forge/api';
import { getIssue, updateIssueSummary, canEditIssue } from '../lib/jira';
import { searchNotes } from '../lib/notes';
import { remember } from '../cache';
import { merge } from '../lib/merge';
import { fetchPreview } from '../lib/preview';

const resolver = new Resolver();

// 1.2: any user who can load the issue panel can read any issue as the app.
resolver.define('getIssue', async ({ payload }) => {
  const issue = await getIssue(payload.issueKey);
  remember(payload.issueKey, issue); // 2: module-level cache
  return issue;
});

// Correct: the user's permission on the same issue decides the call.
resolver.define('updateSummary', async ({ payload }) => {
  if (!(await canEditIssue(payload.issueKey))) {
    throw new Error('You may not edit this issue');
  }
  return updateIssueSummary(payload.issueKey, payload.summary);
});

// 5: a user's token kept in plain storage instead of setSecret.
resolver.define('saveToken', async ({ payload }) => {
  await storage.set('github-token', payload.token);
});

// 8: SQL built from the payload.
resolver.define('searchNotes', ({ payload }) => searchNotes(payload.text));

// 8: prototype pollution through a recursive merge of the payload.
resolver.define('saveSettings', async ({ payload }) => {
  const settings = (await storage.get('settings')) || {};
  merge(settings, payload.settings);
  await storage.set('settings', settings);
});

// 8: the payload chooses the host the app fetches from.
resolver.define('preview', ({ payload }) => fetchPreview(payload.url));

export const handler = resolver.getDefinitions();
