"""PyTorch peer of the speed suite (benchmarks/speed.ts): the same GM training step (the
closed form of docs/MATH.md, differentiated by autograd) and the same FC step as
benchmarks/workloads.ts, timed one step at a time on request, so that the suite can
alternate them with its own steps in paired rounds.

Protocol (one JSON object per line): on start it prints
  {"torch": version, "blas": ..., "threads": n, "env": {...}}
then answers each request {"task": "gm-step"|"fc-step", "B": .., "d": .., "K": .., "L": ..}
with {"ms": time of one step} (the first request for a shape builds it and warms up).
The thread count is torch.set_num_threads(n) with n from GMLAYER_PEER_THREADS, and the
caller sets OPENBLAS_NUM_THREADS and OMP_NUM_THREADS to n as well (torch's own setting
does not pin OpenBLAS's threads). GMLAYER_PEER_DEVICE=cuda runs both steps on the GPU
(the peer of a GPU backend), in float32 with TF32 off, as tfjs computes; each step ends
in loss.item(), which waits for the GPU, so the time is the step's.
"""
import json
import math
import os
import re
import sys
import time

import torch

THREADS = int(os.environ.get("GMLAYER_PEER_THREADS", "1"))
torch.set_num_threads(THREADS)
DEVICE = torch.device(os.environ.get("GMLAYER_PEER_DEVICE", "cpu"))
if DEVICE.type == "cuda":
    if not torch.cuda.is_available():
        sys.exit("torch sees no CUDA device")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def device_info():
    """The GPU and CUDA version where the peer runs on one, else None."""
    if DEVICE.type != "cuda":
        return None
    return f"{torch.cuda.get_device_name(DEVICE)}, CUDA {torch.version.cuda}"


def blas_info():
    """The BLAS torch was built for (BLAS_INFO of its build settings) and the library
    this process actually loaded (Debian builds link the generic libblas.so.3, which the
    system's alternatives point at the reference BLAS, OpenBLAS, BLIS or MKL)."""
    found = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    built = found.group(1) if found else "unknown"
    torch.ones(2, 2) @ torch.ones(2, 2)  # make sure the BLAS is loaded
    loaded = set()
    with open("/proc/self/maps", encoding="utf-8") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in os.path.basename(path).lower() or "libmkl" in path:
                loaded.add(os.path.realpath(path))
    return f"built for {built}; loaded {', '.join(sorted(loaded)) or 'no separate BLAS library'}"


def pixels(B, d, g):
    keep = (torch.rand(B, d, generator=g) < 0.2).float()
    return (torch.rand(B, d, generator=g) * keep).to(DEVICE)


def labels(B, L):
    return (torch.arange(B) % L).to(DEVICE)


def leaf(tensor):
    """A parameter on the peer's device (a leaf of autograd)."""
    return tensor.to(DEVICE).requires_grad_()


def gm_step(B, d, K, L):
    g = torch.Generator().manual_seed(1)
    gamma = 0.5
    mu = leaf(torch.randn(K, d, generator=g) * gamma)
    sigma = leaf(torch.full((K, d), gamma))
    U = leaf(torch.randn(K, L, d, generator=g) * gamma)
    v = leaf(torch.randn(K, L, generator=g) * gamma)
    x = pixels(B, d, g)
    y = labels(B, L)
    params = [mu, sigma, U, v]
    opt = torch.optim.SGD(params, lr=0.1)
    inv_sqrt_2pi = 1 / math.sqrt(2 * math.pi)

    def step():
        opt.zero_grad()
        m = x @ mu.T                                                      # B×K
        s = torch.sqrt((x * x) @ (sigma * sigma).T).clamp_min(1e-30)       # B×K
        t = m / s
        cdf = torch.special.ndtr(t)
        a = m * cdf + s * inv_sqrt_2pi * torch.exp(-0.5 * t * t)
        w = torch.einsum("kld,kd->kl", U, mu) + v                          # K×L
        q = (x @ (U * (sigma * sigma)[:, None, :]).reshape(K * L, d).T).reshape(B, K, L)
        h = (a @ w + torch.einsum("bkl,bk->bl", q, cdf)) / K
        loss = torch.nn.functional.cross_entropy(h, y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def fc_step(B, d, L, width=1000):
    g = torch.Generator().manual_seed(12)
    model = torch.nn.Sequential(torch.nn.Linear(d, width), torch.nn.ReLU(), torch.nn.Linear(width, L)).to(DEVICE)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = pixels(B, d, g)
    y = labels(B, L)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def main():
    env = {name: os.environ.get(name) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    info = {"torch": torch.__version__, "blas": blas_info(), "threads": torch.get_num_threads(), "env": env, "device": device_info()}
    print(json.dumps(info), flush=True)
    steps = {}
    for line in sys.stdin:
        request = json.loads(line)
        key = (request["task"], request["B"], request["d"], request["K"], request["L"])
        if key not in steps:
            build = gm_step if request["task"] == "gm-step" else fc_step
            steps[key] = build(request["B"], request["d"], request["K"], request["L"]) if build is gm_step else build(request["B"], request["d"], request["L"])
            for _ in range(3):
                steps[key]()
        start = time.perf_counter()
        steps[key]()
        print(json.dumps({"ms": (time.perf_counter() - start) * 1000}), flush=True)


if __name__ == "__main__":
    main()
