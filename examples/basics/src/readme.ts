import { createDetector, Pipeline, MinMaxScaler } from '@abc/core';
import '@abc/models'; // registers abc, ae, dae, lrc

const X = [[0.1, 0.2], [0.2, 0.1], [0.15, 0.18], [0.12, 0.15], [0.18, 0.2], [0.1, 0.1], [3, 3], [2.8, 3.1]];
const y = [0, 0, 0, 0, 0, 0, 1, 1];                       // 1 = known anomaly, 0 = normal
const model = new Pipeline([new MinMaxScaler(), createDetector('abc', { hidden: [10, 10], latent: 1, seed: 1 })]);
await model.fit(X, y);
const scores = await model.scoreSamples([[0.12, 0.2], [-3, 3]]);  // p(anomaly | x), higher = more anomalous
const flags = await model.predict([[0.12, 0.2], [-3, 3]]);        // Uint8Array of 0/1 at threshold 0.5
console.log(Array.from(scores, (s) => s.toFixed(3)), Array.from(flags));
