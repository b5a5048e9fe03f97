/**
 * The per-component terms of the forward (a, b, φ/ŝ, tφ/ŝ²) in WGSL, float32: the
 * special functions of src/op/normal-f32.ts (upperTailFit's formulas and constants: the
 * erfcx fit of Numerical Recipes, the continued fraction from u = 5 on), for the WebGPU
 * kernels of src/op/webgpu/gm-webgpu.ts.
 *
 * WGSL has no float64, and its exp is only bounded by 3 + 2|x| ULP (WGSL spec, "Floating
 * Point Accuracy"): at x = −u²/2 = −200 that is a relative error of 2e−5. So e^x is built
 * here from operations WGSL rounds correctly (+, −, ×) and ldexp:
 *   - x = n·ln 2 + r with n = round(x/ln 2), |r| ≤ ln 2/2, ln 2 in two parts (Cody and
 *     Waite; the high part has 15 significant bits, so n·ln2hi is exact for |n| < 512),
 *     e^r by its Taylor polynomial of degree 7 (remainder r⁸/8! < 3e−9 relative), and 2^n by ldexp;
 *   - u² = uh² + (2·uh·ul + ul²) with uh = u cut to 12 significant bits (bit mask) and
 *     ul = u − uh: every product is exact, so e^{−u²/2} = e^{−uh²/2}·e^{−(2uh·ul + ul²)/2}
 *     takes no rounding of u²/2 into its exponent (a rounding that would be a relative
 *     error of (u²/2)·2⁻²⁴ in φ).
 * φ is then within a few float32 roundings; Φ(−u) and g(−u) carry the fit's 1.2e−7 on top,
 * g amplified up to 13× below u = 5 as on the other paths (src/op/normal-f32.ts).
 */
import { S2_MIN } from '../limits.js';
import { UPPER_TAIL_CONSTANTS } from '../normal-f32.js';

/** A number as a WGSL float literal (integers get a fractional part). */
export function wgslFloat(x: number): string {
  const text = String(x);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

const [U_MAX, FRACTION_START, FRACTION_DEPTH, INV_SQRT_2PI, SQRT_HALF_PI, ...NR] = UPPER_TAIL_CONSTANTS;

/** ln 2 = LN2_HI + LN2_LO, LN2_HI = 0x3f317200 (15 significant bits). */
const LN2_HI = 0.693145751953125;
const LN2_LO = Math.LN2 - LN2_HI;

const horner = NR.slice(0, -1).reduceRight((inner, c) => `${wgslFloat(c)} + y * (${inner})`, wgslFloat(NR[NR.length - 1]));

/**
 * WGSL: `struct GMTerms` and `fn gmTerms(m, v, sc) -> GMTerms`, the terms at m = ⟨μ_k, x̂⟩,
 * v = ŝ² and the component scale sc = ς_k (as componentTerms in
 * src/op/fused/wasm/gm-loops.wat, in float32):
 *   v > S2_MIN: ŝ = √v, s = ŝ·ς, t = (m/ς)/ŝ clamped to ±U_MAX (s may underflow), u = |t|; a = max(m, 0) + s·g(−u),
 *               b = Φ(t), φ(t)/ŝ, tφ(t)/v
 *   otherwise:  a = max(m, 0), b = H(m) with H(0) = ½, 0, 0 (the s = 0 limits)
 */
export const GM_TERMS_WGSL = `
struct GMTerms { a : f32, b : f32, pOverS : f32, tpOverS2 : f32 };

fn gmExpReduced(x : f32) -> f32 {
  let n = round(x * ${wgslFloat(Math.LOG2E)});
  let r = (x - n * ${wgslFloat(LN2_HI)}) - n * ${wgslFloat(LN2_LO)};
  let p = 1.0 + r * (1.0 + r * (0.5 + r * (${wgslFloat(1 / 6)} + r * (${wgslFloat(1 / 24)} + r * (${wgslFloat(1 / 120)} + r * (${wgslFloat(1 / 720)} + r * ${wgslFloat(1 / 5040)}))))));
  return ldexp(p, i32(n));
}

fn gmGaussian(u : f32) -> f32 {
  let uh = bitcast<f32>(bitcast<u32>(u) & 0xFFFFF000u);
  let ul = u - uh;
  return gmExpReduced(-0.5 * (uh * uh)) * gmExpReduced(-0.5 * (2.0 * uh * ul + ul * ul));
}

fn gmTerms(m : f32, v : f32, sc : f32) -> GMTerms {
  let relu = max(m, 0.0);
  if (v <= ${wgslFloat(S2_MIN)}) {
    return GMTerms(relu, select(select(0.5, 0.0, m < 0.0), 1.0, m > 0.0), 0.0, 0.0);
  }
  let sHat = sqrt(v);
  let s = sHat * sc;
  let t = clamp((m / sc) / sHat, ${wgslFloat(-U_MAX)}, ${wgslFloat(U_MAX)});
  let u = abs(t);
  let pdf = ${wgslFloat(INV_SQRT_2PI)} * gmGaussian(u);
  let y = 1.0 / (1.0 + u * ${wgslFloat(0.5 * Math.SQRT1_2)});
  let R = ${wgslFloat(SQRT_HALF_PI)} * y * gmExpReduced(${horner});
  let Q = pdf * R;
  var loss = pdf * (1.0 - u * R);
  if (u >= ${wgslFloat(FRACTION_START)}) {
    var T = u;
    for (var n = ${FRACTION_DEPTH}; n >= 2; n = n - 1) {
      T = u + f32(n) / T;
    }
    loss = Q / T;
  }
  return GMTerms(relu + s * loss, select(1.0 - Q, Q, t < 0.0), pdf / sHat, t * pdf / v);
}
`;
