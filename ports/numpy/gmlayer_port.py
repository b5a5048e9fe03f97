"""A worked port of the GM layer's float64 reference to numpy, vectorised over rows and
components. An example for porters (see PORTING.md), not a second product: the
TypeScript reference in reference/ is the source of truth, and this file follows it
function by function (docs/MATH.md has the math).

    y, grad = forward_backward(mu, sigma, U, v, x, G, V=None)

mu, sigma: K×d; U: K×L×d; v: K×L; x: B×d; G: B×L (the upstream gradient); V: K×r×d,
the optional low-rank factors of each covariance diag(σ_k²) + V_kᵀV_k (docs/MATH.md,
section 10). Returns y = h(x): B×L and the gradients of sum(G * y) as a dict with mu,
sigma, U, v, x (and V when given).
"""
import numpy as np

INV_SQRT_2PI = 0.3989422804014327
SERIES_LIMIT = 0.75  # below: the positive series; at and above: the continued fraction
# Depth of the Laplace continued fraction at u: ceil(12 + 600/u²) (reference/normal.ts).
# Vectorised with one fixed maximum depth; levels above an element's own depth leave it
# untouched, so every element gets exactly the reference's fraction.
MAX_DEPTH = int(np.ceil(12 + 600 / SERIES_LIMIT**2))


def exp_neg_square(t, c):
    """e^(-c·t²) for c = 0.5 or 1, with t² split exactly (hi is a multiple of 2^-16)."""
    a = np.abs(t)
    hi = np.round(a * 65536) / 65536  # numpy rounds half to even; any split with hi² exact works
    lo = a - hi
    with np.errstate(over="ignore", invalid="ignore"):
        value = np.exp(-c * hi * hi) * np.exp(-c * lo * (a + hi))
    return np.where(a <= 40, value, 0.0)


def upper_tail(u):
    """φ(u), Q(u) = Φ(-u) and loss(u) = g(-u) for u ≥ 0 (arrays), without cancellation."""
    u = np.asarray(u, dtype=np.float64)
    pdf = INV_SQRT_2PI * exp_neg_square(u, 0.5)
    near = u < SERIES_LIMIT
    # Positive series S(u) = Σ u^(2n+1)/(2n+1)!!, stopped per element by a mask.
    us = np.where(near, u, 0.0)
    term = us.copy()
    total = us.copy()
    active = near.copy()
    n = 1
    while active.any():
        term = np.where(active, term * us * us / (2 * n + 1), term)
        total = np.where(active, total + term, total)
        active &= term > 1e-17 * total
        n += 1
    # Laplace continued fraction R = 1/(u + r), r = 1/(u + 2/(u + 3/(…))).
    uf = np.where(near, 1.0, u)  # a finite stand-in where the series is used
    depth = np.ceil(12 + 600 / (uf * uf))
    T = uf.copy()
    for level in range(MAX_DEPTH, 1, -1):
        T = np.where(level <= depth, uf + level / T, T)
    r = 1 / T
    R = 1 / (uf + r)
    Q = np.where(near, 0.5 - pdf * total, pdf * R)
    loss = np.where(near, pdf - u * Q, pdf * r * R)
    return pdf, Q, loss


# ln 2 = LN2_HI + LN2_LO, LN2_HI of 32 significant bits (k·LN2_HI exact); beyond u = 37 the
# tail values leave the normal range and are carried scaled by 2^k (reference/normal.ts).
LN2_HI = 6.93147180369123816490e-1
LN2_LO = 1.90821492927058770002e-10
SCALED_TAIL_FROM, TAIL_ZERO_FROM = 37.0, 64.0


def tail_exponent(u):
    """k ≈ u²/(2 ln 2) for 37 < u < 64 (so that φ(u)·2^k is about ½), else 0."""
    hi = np.round(u * 65536) / 65536
    deep = (u > SCALED_TAIL_FROM) & (u < TAIL_ZERO_FROM)
    return np.where(deep, np.round(np.where(deep, hi, 0.0) ** 2 / 2 / np.log(2)), 0).astype(np.int64)


def scaled_upper_tail(u, k):
    """φ(u)·2^k, Q(u)·2^k, loss(u)·2^k: upper_tail where k = 0; elsewhere (u > 37) the
    exponent hi²/2 − k·LN2_HI is formed exactly, so nothing underflows."""
    pdf, Q, loss = upper_tail(u)
    deep = k > 0
    ud = np.where(deep, u, 40.0)  # a stand-in where k = 0
    hi = np.round(ud * 65536) / 65536
    lo = ud - hi
    scaled = INV_SQRT_2PI * np.exp(k * LN2_LO - (hi * hi / 2 - k * LN2_HI)) * np.exp(-0.5 * lo * (ud + hi))
    T = ud.copy()
    for level in range(int(np.ceil(12 + 600 / SCALED_TAIL_FROM**2)), 1, -1):
        T = ud + level / T
    r = 1 / T
    R = 1 / (ud + r)
    return np.where(deep, scaled, pdf), np.where(deep, scaled * R, Q), np.where(deep, scaled * r * R, loss)


def norm2(y):
    """‖y‖₂ along the last axis, scaled by max|y_i| first (no overflow, no underflow)."""
    scale = np.max(np.abs(y), axis=-1, keepdims=True)
    safe = np.where(scale > 0, scale, 1.0)
    return (scale * np.sqrt(np.sum((y / safe) ** 2, axis=-1, keepdims=True)))[..., 0]


def component_moments(mu, sigma, x, Vx):
    """m, s, t and the parts of (a, b, φ(t)) for every row and component (B×K; Vx = V_k x_b:
    B×K×r): a = lead_a + ldexp(tail_a, −k), likewise b and φ, with k = 0 and no tail except
    beyond |t| = 37 (reference/closed-form.ts, ComponentMoments.parts)."""
    m = x @ mu.T
    s = norm2(np.concatenate([sigma[None, :, :] * x[:, None, :], Vx], axis=-1))
    flat = s == 0
    safe_s = np.where(flat, 1.0, s)
    t = np.where(flat, np.where(m > 0, np.inf, np.where(m < 0, -np.inf, 0.0)), m / safe_s)
    u = np.where(flat, 0.0, np.abs(t))
    k = tail_exponent(u)
    pdf, Q, loss = scaled_upper_tail(u, k)
    pdf = np.where(flat, 0.0, pdf)
    heaviside = np.where(m > 0, 1.0, np.where(m < 0, 0.0, 0.5))  # H(0) = ½
    a = np.where(flat, np.maximum(m, 0), np.maximum(m, 0) + np.ldexp(s * loss, -k))
    b = np.where(flat, heaviside, np.where(t < 0, np.ldexp(Q, -k), 1 - np.ldexp(Q, -k)))
    left, right = (k > 0) & (t < 0), (k > 0) & (t > 0)
    lead = (np.where(left, 0.0, a), np.where(left, 0.0, b), np.where(k > 0, 0.0, pdf))
    tail = (np.where(left, s * loss, 0.0), np.where(left, Q, 0.0), np.where(left | right, pdf, 0.0))
    return m, s, t, k, lead, tail


def forward_backward(mu, sigma, U, v, x, G, V=None):
    """h(x) and the exact gradients of ℓ = Σ G ⊙ h (reference/gradients.ts)."""
    mu, sigma, U, v, x, G = (np.asarray(a, dtype=np.float64) for a in (mu, sigma, U, v, x, G))
    K, d = mu.shape
    B = x.shape[0]
    L = v.shape[1]
    has_V = V is not None
    Vk = np.asarray(V, dtype=np.float64).reshape(K, len(V[0]), d) if has_V else np.zeros((K, 0, d))  # r = 0 may come as K empty lists
    if B == 0:
        grad = {"mu": np.zeros_like(mu), "sigma": np.zeros_like(sigma), "U": np.zeros_like(U), "v": np.zeros_like(v), "x": np.zeros((0, d))}
        return np.zeros((0, L)), ({**grad, "V": np.zeros_like(Vk)} if has_V else grad)
    Vx = np.einsum("kji,bi->bkj", Vk, x)                           # B×K×r: V_k x_b
    m, s, t, k, lead, tail = component_moments(mu, sigma, x, Vx)
    w = np.einsum("kli,ki->kl", U, mu) + v                       # w_k = U_k μ_k + v_k
    sigma2x = sigma[None, :, :] ** 2 * x[:, None, :] + np.einsum("kji,bkj->bki", Vk, Vx)  # B×K×d: Σ_k x_b
    q = np.einsum("kli,bki->bkl", U, sigma2x)                      # q_k = U_k Σ_k x
    dA = G @ w.T / K                                               # ⟨G_b, w_k⟩/K
    dB = np.einsum("bl,bkl->bk", G, q) / K                         # ⟨G_b, q_k⟩/K
    positive = s > 0
    safe_s = np.where(positive, s, 1.0)
    dB_over_s = np.where(positive, dB / safe_s, 0.0)              # bounded: formed first
    UtG = np.einsum("kli,bl->bki", U, G)                          # U_kᵀ G_b
    unit = np.where(positive[:, :, None], sigma[None, :, :] * x[:, None, :] / safe_s[:, :, None], 0.0)
    unitV = np.where(positive[:, :, None], Vx / safe_s[:, :, None], 0.0)  # (V_k x)_j/s ∈ [−1, 1]

    def terms(a, b, pdf, scale):
        """Every term is linear in (a, b, φ): one part's terms per row and component, scaled
        by 2^−scale (B×K) before the sums over rows and components."""
        down = lambda term: np.ldexp(term, -scale.reshape(scale.shape + (1,) * (term.ndim - 2)))  # noqa: E731
        with np.errstate(invalid="ignore"):
            t_pdf = np.where(pdf == 0, 0.0, t * pdf)               # t may be ±∞ where φ(t) = 0
        dm = dA * b + dB_over_s * pdf
        ds = np.where(positive, dA * pdf - dB_over_s * t_pdf, 0.0)
        dQ = UtG * b[:, :, None] / K                               # δ = ∂ℓ/∂(Σ_k x)
        out = {
            "y": down((w[None] * a[:, :, None] + q * b[:, :, None]) / K).sum(axis=1),
            "v": down(G[:, None, :] * a[:, :, None] / K).sum(axis=0),
            "U": down(G[:, None, :, None] * (a[:, :, None, None] * mu[None, :, None, :] + b[:, :, None, None] * sigma2x[:, :, None, :]) / K).sum(axis=0),
            "mu": down(UtG * a[:, :, None] / K + dm[:, :, None] * x[:, None, :]).sum(axis=0),
            "sigma": down(2 * sigma[None] * x[:, None, :] * dQ + ds[:, :, None] * unit * x[:, None, :]).sum(axis=0),
            "x": down(dm[:, :, None] * mu[None] + ds[:, :, None] * unit * sigma[None] + sigma[None] ** 2 * dQ).sum(axis=1),
        }
        if has_V:
            Vdq = np.einsum("kji,bki->bkj", Vk, dQ)                # V_k δ: B×K×r
            along = Vdq + ds[:, :, None] * unitV
            out["V"] = down(Vx[..., None] * dQ[:, :, None, :] + along[..., None] * x[:, None, None, :]).sum(axis=0)
            out["x"] = out["x"] + down(np.einsum("kji,bkj->bkji", Vk, along)).sum(axis=(1, 2))
        return out

    parts = [terms(*lead, np.zeros_like(k))]
    if np.any(k > 0):
        parts.append(terms(*tail, k))
    total = {name: sum(part[name] for part in parts) for name in parts[0]}
    y = total.pop("y")
    return y, total
