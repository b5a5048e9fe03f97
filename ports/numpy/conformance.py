"""Runs the numpy port against the conformance vectors, as any port should (PORTING.md):

    python3 ports/numpy/conformance.py [fixtures/conformance.json] [--precision float64]

A case passes when every entry e of expected.y and expected.grad.* satisfies
|got − e| ≤ tolerance[P].factor · magnitude(e) + tolerance[P].floor. Prints one line per
case and a summary; exits 1 if any case fails, 2 on bad usage.
"""
import json
import sys

import numpy as np

from gmlayer_port import forward_backward


def worst_ratio(case, y, grad, precision):
    """The largest |got − e| / allowed over every checked entry (≤ 1 passes)."""
    tol = case["tolerance"][precision]
    pairs = [(y, case["expected"]["y"], case["magnitude"]["y"])]
    pairs += [(grad[k], case["expected"]["grad"][k], case["magnitude"]["grad"][k]) for k in ("mu", "sigma", "U", "v", "x")]
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
    passed = failed = 0
    for group in fixtures["groups"]:
        for case in group["cases"]:
            inputs = case["inputs"]
            params = inputs["params"]
            d = len(params["mu"][0])
            x = np.asarray(inputs["x"], dtype=np.float64).reshape(len(inputs["x"]), d)
            upstream = inputs.get("upstream")
            L = len(params["v"][0])
            G = np.ones((x.shape[0], L)) if upstream is None else np.asarray(upstream, dtype=np.float64).reshape(x.shape[0], L)
            y, grad = forward_backward(params["mu"], params["sigma"], params["U"], params["v"], x, G)
            ratio = worst_ratio(case, y, grad, precision)
            ok = ratio <= 1
            passed += ok
            failed += not ok
            print(f"{'pass' if ok else 'FAIL'} {case['id']}: worst error {ratio:.3g} of the {precision} tolerance")
    print(f"numpy port on {path}: {passed} of {passed + failed} cases pass at {precision}")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
