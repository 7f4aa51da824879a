/**
 * @abc/queue: search, reproduction and benchmark past one machine, on a BullMQ + Redis work queue.
 * `abc worker --queue URL` runs the jobs; `--queue URL` on `abc search`, `abc reproduce` and `abc benchmark`
 * sends them and records the results.
 *
 * @module @abc/queue
 */
export * from './connection.js';
export * from './job-id.js';
export * from './jobs.js';
export * from './submit.js';
export * from './worker.js';
export * from './execute.js';
export * from './reproduce-jobs.js';
export * from './search-jobs.js';
export * from './benchmark-jobs.js';
export * from './data-store.js';
