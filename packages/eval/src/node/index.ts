/**
 * Node-only file loaders of @abc/eval: they read dataset files from a folder (gunzipping, verifying
 * checksums) and hand the bytes to the browser-safe parsers of `@abc/eval`.
 *
 * @module @abc/eval/node
 */
export * from './files.js';
export * from './mnist.js';
export * from './kdd.js';
export * from './cifar.js';
export * from './csv.js';
export * from './runner.js';
export * from './reproduce.js';
export * from './data-dir.js';
export * from './locate.js';
export * from './fetch-datasets.js';
export * from './list-datasets.js';
export * from './recorded-checksum.js';
export * from './download.js';
export * from './npz.js';
export * from './benchmark.js';
