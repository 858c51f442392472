/**
 * The special functions behind the p-values of statistics.ts' tests: the complementary error function, the log
 * gamma function and the regularized incomplete beta function, in double precision to about 1e-14 relative
 * (checked against scipy to 1e-9 relative by the fixtures in fixtures/statistics/, tails included).
 *
 * Written here rather than taken from npm: the maintained candidates either pull in dozens of transitive packages
 * (the stdlib ports) or stop their continued fractions at a fixed tolerance of about 3e-7 (jStat), short of
 * the 1e-9 the tests promise.
 */

/** Relative size of the last term below which a series or continued fraction has converged. */
const EPSILON = 1e-16;
/** Smallest magnitude a Lentz denominator may take, so that it never divides by zero. */
const TINY = 1e-300;
/** More iterations than any argument needs (a continued fraction needs ~√max(a, b) of them). */
const MAX_ITERATIONS = 100_000;

const SQRT_PI = Math.sqrt(Math.PI);
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * erfc(x) = 1 − erf(x), accurate in relative terms far into the tail (erfc(26) ≈ 5.7e-296). Through the
 * incomplete gamma function with a = 1/2: erf(x) = P(1/2, x²) by its series (all terms positive) for x² < 1.5,
 * where erfc ≥ 0.08 so 1 − erf loses nothing; erfc(x) = Q(1/2, x²) by its continued fraction beyond.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  const x2 = x * x;
  if (x2 < 1.5) {
    // P(1/2, x²) = e^(−x²) · x · Σ (x²)ⁿ / Γ(n + 3/2), written with Γ(1/2) = √π pulled out.
    let term = 2;
    let sum = term;
    for (let n = 1; n < MAX_ITERATIONS; n++) {
      term *= x2 / (n + 0.5);
      sum += term;
      if (term < sum * EPSILON) break;
    }
    return 1 - (Math.exp(-x2) * x * sum) / SQRT_PI;
  }
  if (x2 > 800) return 0; // e^(−800) is below the smallest double
  // Q(1/2, x²) by the modified Lentz method on its continued fraction.
  const a = 0.5;
  let b = x2 + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return (Math.exp(-x2) * x * h) / SQRT_PI;
}

/**
 * Σ of the Stirling series of ln Γ beyond its leading terms: ln Γ(x) = (x − ½) ln x − x + ½ ln 2π + S(x),
 * S(x) = Σ B₂ₖ / (2k (2k − 1) x^(2k−1)); eight terms leave an error below 1e-17 for x ≥ 10.
 */
function stirlingTail(x: number): number {
  const coefficients = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400];
  const inverse = 1 / x;
  const inverse2 = inverse * inverse;
  let sum = 0;
  let power = inverse;
  for (const coefficient of coefficients) {
    sum += coefficient * power;
    power *= inverse2;
  }
  return sum;
}

/** ln Γ(x) for x > 0: the Stirling series, after shifting x up to ≥ 10 by Γ(x + 1) = x Γ(x). */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  let shift = 0;
  let product = 1;
  while (x < 10) {
    product *= x;
    x += 1;
    shift++;
    // Keep the product far from overflow (only tiny x make it large).
    if (product > 1e250) return logGamma(x) - Math.log(product);
  }
  const value = (x - 0.5) * Math.log(x) - x + HALF_LOG_TWO_PI + stirlingTail(x);
  return shift === 0 ? value : value - Math.log(product);
}

/**
 * ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). When the larger argument is ≥ 10 the difference
 * ln Γ(a) − ln Γ(a + b) is taken from the Stirling series term by term (with log1p), because subtracting two
 * large logarithms would lose ~log10(a ln a) digits: that keeps Welch's p-values exact for thousands of
 * degrees of freedom.
 */
export function logBeta(a: number, b: number): number {
  const large = Math.max(a, b);
  const small = Math.min(a, b);
  if (large < 10) return logGamma(a) + logGamma(b) - logGamma(a + b);
  const sum = large + small;
  const difference =
    -(large - 0.5) * Math.log1p(small / large) - small * Math.log(sum) + small + stirlingTail(large) - stirlingTail(sum);
  return logGamma(small) + difference;
}

/** The continued fraction of the incomplete beta function (modified Lentz), for x below its switch point. */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return h;
}

/**
 * The regularized incomplete beta function I_x(a, b) for x in [0, 1], a, b > 0. `y` is 1 − x, passed by
 * callers that know it more exactly than 1 − x would give (a Student t tail: x = ν/(ν + t²), y = t²/(ν + t²)).
 * The continued fraction is evaluated on whichever side of (a + 1)/(a + b + 2) converges; the result on the
 * other side is 1 − I_y(b, a), which only happens where I_x(a, b) ≥ ~0.5, so no digits are lost.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number, y: number = 1 - x): number {
  if (Number.isNaN(x) || Number.isNaN(a) || Number.isNaN(b) || x < 0 || x > 1 || !(a > 0) || !(b > 0)) return Number.NaN;
  if (x === 0) return 0;
  if (y === 0) return 1;
  // ln of whichever of x, y is near 1 is taken as log1p of the other, which is known to full precision.
  const logX = x > 0.5 ? Math.log1p(-y) : Math.log(x);
  const logY = y > 0.5 ? Math.log1p(-x) : Math.log(y);
  const logFront = a * logX + b * logY - logBeta(a, b);
  const front = Math.exp(logFront);
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, y)) / b;
}
