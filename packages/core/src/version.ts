/** The version of @abc/core, written into every model file (kept equal to package.json by a test). */
export const VERSION = '0.1.0';
