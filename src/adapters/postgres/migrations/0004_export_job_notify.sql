-- Every change of an export job row notifies orderflow_export_jobs with the job id, in the
-- writing transaction (delivered on commit, never for a rollback), so WatchExportJob on any
-- process wakes when a worker elsewhere changes the job (docs/adr/0006-export-jobs.md). A trigger
-- rather than pg_notify in each statement: it covers every writer of the table, present and
-- future (creation, attempts, progress, the end, release, retention deletes), with one piece of
-- SQL that runs unchanged on PGlite and PostgreSQL. Progress is written at most every
-- exports.progressIntervalMs, so notifications per job stay bounded; PostgreSQL folds identical
-- notifications of one transaction into one.

CREATE FUNCTION export_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('orderflow_export_jobs', (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER export_jobs_notify AFTER INSERT OR UPDATE OR DELETE ON export_jobs
  FOR EACH ROW EXECUTE FUNCTION export_jobs_notify();
