/**
 * Reports of the paper's experiments: Table 2 with the bold rule, Figures 3–5 (Vega-Lite, rendered to SVG
 * by Vega without a browser), Markdown and self-contained HTML.
 */
export * from './paper.js';
export * from './table2.js';
export * from './figures.js';
export * from './report.js';
