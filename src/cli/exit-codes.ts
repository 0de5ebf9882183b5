// The CLI's exit codes, in one place so that `--help` and the behaviour cannot disagree.
export const EXIT_OK = 0;
/** The call failed: "error: STATUS: details" on stderr. */
export const EXIT_CALL_FAILED = 1;
/** Wrong invocation or unreadable input (a flag, a JSON argument, a file). */
export const EXIT_USAGE = 2;
/** Ctrl-C (SIGINT), 128 + 2 as shells report a process killed by it, also when a stream stopped cleanly. */
export const EXIT_INTERRUPTED = 130;
