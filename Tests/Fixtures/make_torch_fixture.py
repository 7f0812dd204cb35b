#!/usr/bin/env python3
"""PyTorch's answers for charnn's model, kept as a fixture the Swift tests read (as llm.c keeps one).

For each cell of that program's CELLS (nn.RNN with tanh, nn.LSTM, nn.GRU, ...) at two layers with small shapes (V=7, H=5, B=3,
T=4), fixed weights and a fixed batch, it records the logits, the loss (the mean cross-entropy
over the B*T positions, the loss whose gradient charnn's backward computes), every parameter's
gradient, the gradient with respect to the initial state and the final state: once from a zero
initial state and once from a nonzero one. TorchFixtureTests.swift compares charnn with it; the
tests need no Python, only regenerating the fixture needs torch:

    python Tests/Fixtures/make_torch_fixture.py      # with torch installed; writes torch_fixture.json

The weights are float32 numbers (drawn once from a seeded torch generator and written into the
fixture, so the Swift side needs no generator of its own); the reference is computed in float64
from them, so what the Swift test measures is charnn's float32 error alone, not PyTorch's.

The fixture is computed with the model class of the "Continue in PyTorch" program,
scripts/continue_charnn.py, and records that program's text (a test checks that scripts/ still holds
that text), so the shipped program's model is the one tested here. It also runs that program as

    python Tests/Fixtures/make_torch_fixture.py continue CHECKPOINT TEXT [options]

or under torchrun, exactly as scripts/continue_charnn.py runs on its own.
"""
import json, os, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The Continue-in-PyTorch program users run; the fixture records its text (ContinueInPyTorchScriptTests
# checks that the program in scripts/ is still the one whose model computed the fixture).
PROGRAM = os.path.join(ROOT, "scripts", "continue_charnn.py")
with open(PROGRAM, encoding="utf-8") as program_file:
    CONTINUE_IN_PYTORCH = program_file.read()

V, H, L, B, T = 7, 5, 2, 3, 4
# Batch-first (B, T) ids; between them inputs and targets use every id of the vocabulary.
INPUTS = [[0, 3, 6, 2], [5, 1, 4, 0], [2, 6, 1, 3]]
TARGETS = [[3, 6, 2, 5], [1, 4, 0, 6], [6, 1, 3, 4]]
WEIGHT_BOUND = 0.6  # a little above PyTorch's 1/sqrt(H) = 0.45, so gates are far from 0.5 and differ


def snippet():
    """The Continue-in-PyTorch block's definitions, as a module namespace (its main() does not run)."""
    namespace = {"__name__": "continue_in_pytorch"}
    exec(compile(CONTINUE_IN_PYTORCH, PROGRAM, "exec"), namespace)
    return namespace


def seeded_cells(program):
    """(cell, seed of its weights) for each cell of the program's CELLS: its place there, from 1
    (rnn 1, lstm 2, gru 3), so a cell added at the end leaves the other cells' numbers as they were."""
    return [(cell, place) for place, cell in enumerate(program["CELLS"], start=1)]


def has_cell_state(torch, model):
    """Whether the model's state is (h, c) rather than h, asked of the model itself."""
    with torch.no_grad():
        return isinstance(model(torch.tensor(INPUTS))[1], tuple)


def rounded(values):
    """Float64 values at 12 significant digits: far below any tolerance, and a smaller file."""
    return [float(f"{v:.12g}") for v in values]


def time_major(t):
    """(B, T, ...) -> flat list in charnn's time-major (T, B, ...) order."""
    return t.transpose(0, 1).reshape(-1).tolist()


def run(torch, F, model, cell_state, h0, c0):
    """One forward/backward pass from the given float64 initial state (L, B, H); c0 is used where
    the cell has a cell state."""
    model.zero_grad()
    h0 = h0.clone().requires_grad_(True)
    c0 = c0.clone().requires_grad_(True) if cell_state else None
    logits, final = model(torch.tensor(INPUTS), (h0, c0) if cell_state else h0)
    loss = F.cross_entropy(logits.reshape(-1, V), torch.tensor(TARGETS).reshape(-1))
    loss.backward()
    final_h, final_c = final if cell_state else (final, None)
    out = {
        "logits": rounded(time_major(logits.detach())),
        "loss": loss.item(),
        "gradients": {name: rounded(p.grad.reshape(-1).tolist()) for name, p in model.named_parameters()},
        "initial_state_gradients": {"h": rounded(h0.grad.reshape(-1).tolist())},
        "final_state": {"h": rounded(final_h.detach().reshape(-1).tolist())},
    }
    if cell_state:
        out["initial_state_gradients"]["c"] = rounded(c0.grad.reshape(-1).tolist())
        out["final_state"]["c"] = rounded(final_c.detach().reshape(-1).tolist())
    return out


def fixture():
    import torch
    import torch.nn.functional as F
    program = snippet()
    CharRNN = program["CharRNN"]
    cells = []
    for cell, seed in seeded_cells(program):
        generator = torch.Generator().manual_seed(seed)
        model = CharRNN(cell, V, H, L)
        weights = {}
        with torch.no_grad():
            for name, p in model.named_parameters():
                w = (torch.rand(p.shape, generator=generator, dtype=torch.float32) * 2 - 1) * WEIGHT_BOUND
                p.copy_(w)
                weights[name] = w.reshape(-1).tolist()  # float32 values, exact in a float64 repr
        model = model.double()
        cell_state = has_cell_state(torch, model)
        zero = torch.zeros(L, B, H, dtype=torch.float64)
        states = (torch.rand(2, L, B, H, generator=generator, dtype=torch.float32) - 0.5).double()
        zero_run = run(torch, F, model, cell_state, zero, zero)
        zero_run["initial_state"] = None
        nonzero_run = run(torch, F, model, cell_state, states[0], states[1])
        nonzero_run["initial_state"] = {"h": states[0].reshape(-1).tolist()}
        if cell_state:
            nonzero_run["initial_state"]["c"] = states[1].reshape(-1).tolist()
        cells.append({"cell": cell, "parameters": weights, "runs": [zero_run, nonzero_run]})
    return {
        "generator": f"Tests/Fixtures/make_torch_fixture.py, torch {torch.__version__}, float64",
        "layout": "flat row-major lists; inputs, targets and logits time-major (T, B); states (L, B, H)",
        "vocab_size": V, "hidden": H, "layers": L, "batch": B, "steps": T,
        "inputs": time_major(torch.tensor(INPUTS)), "targets": time_major(torch.tensor(TARGETS)),
        "cells": cells,
        "continue_program": CONTINUE_IN_PYTORCH,
    }


def main():
    if sys.argv[1:2] == ["continue"]:
        sys.argv = [sys.argv[0]] + sys.argv[2:]
        exec(compile(CONTINUE_IN_PYTORCH, PROGRAM, "exec"), {"__name__": "__main__"})
        return
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_fixture.json")
    with open(path, "w") as f:
        json.dump(fixture(), f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
