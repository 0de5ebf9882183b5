-- Indexes for the periodic export maintenance (src/domain/exports/reconcile-exports.ts,
-- docs/adr/0006-export-jobs.md): the reconcile sweep reads unfinished jobs by the time their row
-- last changed, and retention deletes finished jobs by the same time, in bounded batches. Both
-- are partial, so each index holds only the rows its query can match.

CREATE INDEX export_jobs_unfinished_by_update ON export_jobs (update_time, id) WHERE status IN ('QUEUED', 'RUNNING');
CREATE INDEX export_jobs_finished_by_update ON export_jobs (update_time) WHERE status IN ('SUCCEEDED', 'FAILED');
