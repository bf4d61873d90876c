import { clock } from "../shared/clock.ts";
export async function readJobCursor(db: D1Database, job: string): Promise<string> {
  const row = await db
    .prepare("SELECT cursor FROM job_cursors WHERE job = ?")
    .bind(job)
    .first<{ cursor: string }>();
  return row?.cursor ?? "";
}

export async function writeJobCursor(db: D1Database, job: string, cursor: string): Promise<void> {
  await db
    .prepare(
      `INSERT INTO job_cursors (job, cursor, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (job) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
    )
    .bind(job, cursor, new Date(clock.now()).toISOString())
    .run();
}
