"""Runs the numpy port against the conformance vectors, as any port should (PORTING.md):

    python3 ports/numpy/conformance.py [fixtures/conformance.json] [--precision float64]

A case passes when every entry e of expected.y and expected.grad.* satisfies
|got − e| ≤ tolerance[P].factor · tolerance[P].magnitude(e) + tolerance[P].floor. At float64 the port's
special functions are checked too, against fixtures/special-functions.json (beside the
conformance file) by its pass rule: first its first gate, then the whole table. Prints
one line per case and a summary; exits 1 if anything fails, 2 on bad usage.
"""
import os
import json
import sys

import numpy as np

from gmlayer_port import exp_neg_square, forward_backward, scaled_upper_tail, upper_tail, INV_SQRT_2PI


def units(got, exact):
    """The table's unit: |got − exact| / (max(|exact|, 2^-1022) · 2^-52)."""
    exact = np.asarray(exact, dtype=np.float64)
    return np.where(got == exact, 0.0, np.abs(got - exact) / (np.maximum(np.abs(exact), 2.0**-1022) * 2.0**-52))


def special_values(t):
    """Φ(t), φ(t), g(t) and, for t ≥ 0, R(t), from the port's upper tail."""
    t = np.asarray(t, dtype=np.float64)
    pdf, Q, loss = upper_tail(np.abs(t))
    cdf = np.where(t < 0, Q, 1 - Q)
    g = np.where(t < 0, loss, t + loss)
    R = Q / np.where(pdf > 0, pdf, 1.0)
    return {"cdf": cdf, "pdf": INV_SQRT_2PI * exp_neg_square(t, 0.5), "expectedRelu": g, "millsRatio": R}


def check_special_functions(path):
    """Rows outside the pass rule: the first gate, the table over [−37, 37], the scaled tail."""
    with open(path, encoding="utf-8") as f:
        table = json.load(f)
    bound = table["passRule"]["bound"]
    failures = []
    for name, rows in (("first gate", table["firstGate"]["normal"]), ("table", [r for r in table["normal"] if abs(r["t"]) <= 37])):
        values = special_values([r["t"] for r in rows])
        for key in ("cdf", "pdf", "expectedRelu", "millsRatio"):
            for j, row in enumerate(rows):
                if key in row and units(values[key][j], float(row[key])) > bound:
                    failures.append(f"{name}: {key}({row['t']})")
    rows = table["scaledTail"]
    scaled = dict(zip(("pdf", "Q", "loss"), scaled_upper_tail(np.array([r["u"] for r in rows]), np.array([r["k"] for r in rows]))))
    for key, values in scaled.items():
        failures += [f"scaled tail: {key}({row['u']})·2^{row['k']}" for j, row in enumerate(rows) if units(values[j], float(row[key])) > bound]
    return failures


def worst_ratio(case, y, grad, precision):
    """The largest |got − e| / allowed over every checked entry (≤ 1 passes)."""
    tol = case["tolerance"][precision]
    magnitude = tol["magnitude"]
    pairs = [(y, case["expected"]["y"], magnitude["y"])]
    pairs += [(grad[k], case["expected"]["grad"][k], magnitude["grad"][k]) for k in ("mu", "sigma", "U", "v", "x", "V") if k in case["expected"]["grad"]]
    worst = 0.0
    for got, expected, magnitude in pairs:
        got, expected, magnitude = (np.asarray(a, dtype=np.float64).reshape(-1) for a in (got, expected, magnitude))
        if got.shape != expected.shape:
            return np.inf
        allowed = tol["factor"] * magnitude + tol["floor"]
        error = np.abs(got - expected)
        if not np.all(np.isfinite(got)):
            return np.inf
        worst = max(worst, float(np.max(error / allowed, initial=0.0)))
    return worst


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    precision = "float64"
    if "--precision" in argv:
        i = argv.index("--precision")
        if i + 1 >= len(argv) or argv[i + 1] not in ("float64", "float32"):
            print("conformance: --precision: expected float64 or float32", file=sys.stderr)
            return 2
        precision = argv[i + 1]
        args = [a for a in args if a != precision]
    if len(args) > 1:
        print(f"conformance: expected at most one path, got {' '.join(args)}", file=sys.stderr)
        return 2
    path = args[0] if args else "fixtures/conformance.json"
    with open(path, encoding="utf-8") as f:
        fixtures = json.load(f)
    passed = failed = skipped = 0
    for group in fixtures["groups"]:
        for case in group["cases"]:
            if precision not in case["tolerance"]:
                skipped += 1  # a float64-only case (beyond float32's range)
                continue
            inputs = case["inputs"]
            params = inputs["params"]
            d = len(params["mu"][0])
            x = np.asarray(inputs["x"], dtype=np.float64).reshape(len(inputs["x"]), d)
            upstream = inputs.get("upstream")
            L = len(params["v"][0])
            G = np.ones((x.shape[0], L)) if upstream is None else np.asarray(upstream, dtype=np.float64).reshape(x.shape[0], L)
            y, grad = forward_backward(params["mu"], params["sigma"], params["U"], params["v"], x, G, params.get("V"))
            ratio = worst_ratio(case, y, grad, precision)
            ok = ratio <= 1
            passed += ok
            failed += not ok
            print(f"{'pass' if ok else 'FAIL'} {case['id']}: worst error {ratio:.3g} of the {precision} tolerance")
    print(f"numpy port on {path}: {passed} of {passed + failed} cases pass at {precision}" + (f" ({skipped} float64-only skipped)" if skipped else ""))
    special_failures = []
    if precision == "float64":
        special = os.path.join(os.path.dirname(path), "special-functions.json")
        special_failures = check_special_functions(special)
        for failure in special_failures[:10]:
            print(f"FAIL {failure}")
        print(f"numpy port on {special}: {len(special_failures)} values outside the pass rule (Φ, φ, g, R, the scaled tail)")
    return 0 if failed == 0 and not special_failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
