/** The version of @abc/onnx-export, written into every exported file's metadata (kept equal to package.json by a test). */
export const VERSION = '0.1.0';
