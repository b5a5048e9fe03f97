/**
 * gmlayer's float64 reference: the GM layer of Chewi, Rigollet & Yan (arXiv 2508.04883)
 * in plain TypeScript, written to be read and ported. Nothing here depends on tfjs.
 */
export * from './types.js';
export * from './errors.js';
export { shapeOf, validateParams, validateInput, validateUpstream, refuseUnknownFields, PARAM_FIELDS, REQUIRED_PARAM_FIELDS } from './validate.js';
export { normalPdf, normalCdf, expectedRelu, millsRatio, erfc, erfcx, upperTail, scaledUpperTail, tailExponent, ldexp } from './normal.js';
export type { UpperTail, ScaledUpperTail } from './normal.js';
export { gmForward, componentMoments, outputMeans, steinTerm, heaviside, lowRankProjection, covarianceTimes } from './closed-form.js';
export type { ComponentMoments, MomentPart } from './closed-form.js';
export { gmGradients } from './gradients.js';
export type { GMForwardBackward } from './gradients.js';
export { gmMonteCarlo } from './monte-carlo.js';
export type { MonteCarloOptions, MonteCarloResult } from './monte-carlo.js';
export { normalStream } from './random.js';
export { parseCase, CASE_FIELDS } from './case.js';
export type { GMCase } from './case.js';
