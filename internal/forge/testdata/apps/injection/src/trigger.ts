import { sql } from '@forge/sql';

const counters = new Map<string, number>();

export async function onIssue(event: any) {
  counters.set(event.issue.key, 1); // FINDING forge/module-state-shared
  const local: string[] = [];
  local.push(event.issue.key);
  await sql.executeRaw(`INSERT INTO seen (issue) VALUES ('${event.issue.key}')`); // FINDING forge/sql-injection
  return local;
}
