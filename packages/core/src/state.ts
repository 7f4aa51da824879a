/** Plain-data state of a fitted detector or transformer: what persistence writes and reads back. */

export type TensorDtype = 'f32' | 'f64' | 'i32' | 'u8';
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** One named array with its shape; the data's type follows `dtype`. */
export interface Tensor {
  dtype: TensorDtype;
  shape: number[];
  data: TypedArray;
}

/** JSON-safe values for the non-tensor part of a state. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A fitted model as plain data: small facts in `meta` (JSON), arrays in `tensors`. */
export interface ModelState {
  meta: { [key: string]: JsonValue };
  tensors: { [name: string]: Tensor };
}

export function tensor(data: TypedArray, shape: number[] = [data.length]): Tensor {
  const dtype: TensorDtype =
    data instanceof Float32Array ? 'f32' : data instanceof Float64Array ? 'f64' : data instanceof Int32Array ? 'i32' : 'u8';
  return { dtype, shape, data };
}
