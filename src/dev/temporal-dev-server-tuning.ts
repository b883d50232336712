/**
 * Dev server settings shared by `npm start`, the tests and `npm run bench`, so tests and the
 * benchmark exercise what users run.
 */
export const DEV_SERVER_TUNING = {
  // WAL lets readers (visibility, UI) proceed while the history writer commits.
  sqlitePragmas: { journal_mode: 'wal', synchronous: 'normal' },
  dynamicConfig: {
    // One partition per task queue: the dev server's default of 4 spreads tasks over partitions that a
    // single worker's few pollers visit in turn, so a task can wait in one nobody is polling.
    'matching.numTaskqueueReadPartitions': '1',
    'matching.numTaskqueueWritePartitions': '1',
    // The activity a workflow task schedules comes back in that task's completion response, so the
    // delivery attempt skips a matching round trip (activity schedule-to-start ~100 ms -> <1 ms).
    'system.enableActivityEagerExecution': 'true',
    // Dispatch tasks round-robin across fairness keys (the tenant, set at each delivery's start), so one
    // tenant's backlog does not queue every other tenant's deliveries behind it.
    'matching.enableFairness': 'true',
    // Fire timers when they are due: by default the timer queue may shift a timer up to 1 s, so a 50 ms
    // retry backoff or a throttle's next slot waited up to a second (measured: a 1 ms timer per FIFO
    // turn cost about a second each).
    'history.timerProcessorMaxTimeShift': '"10ms"',
  } as Record<string, string>,
};
