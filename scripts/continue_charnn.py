#!/usr/bin/env python3
# Continue training a charnn checkpoint in PyTorch, on a GPU, several GPUs or several machines.
#   python continue_charnn.py model.ckpt corpus.txt --iterations 5000           # one process
#   torchrun --nproc_per_node=4 continue_charnn.py model.ckpt corpus.txt        # 4 GPUs, DistributedDataParallel
#   torchrun --nnodes=2 --nproc_per_node=4 --rdzv_endpoint=HOST:29500 continue_charnn.py ...   # 2 machines
# Writes a weights-only charnn checkpoint (--output) that `charnn sample` and `charnn eval` read.
import argparse, json, os, struct, zlib

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F


# charnn's cell types by checkpoint name, each with the PyTorch module that computes it (charnn's rnn
# is nn.RNN's tanh). A module takes (input, state) with batch_first=True and names its tensors
# weight_ih_l0, ... as nn.RNN does; its state is h, or (h, c) for a cell with a cell state. A new
# cell goes at the end: Tests/Fixtures/make_torch_fixture.py seeds each cell's weights by its place here.
CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class CharRNN(nn.Module):
    """charnn's model. The attribute names make the state_dict keys charnn's tensor names:
    rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0, ..., decoder.weight, decoder.bias."""

    def __init__(self, cell, vocab_size, hidden, layers, dropout=0.0):
        super().__init__()
        recurrent = CELLS[cell]
        self.vocab_size = vocab_size
        self.rnn = recurrent(vocab_size, hidden, layers, batch_first=True, dropout=dropout)
        self.decoder = nn.Linear(hidden, vocab_size)

    def forward(self, ids, state=None):  # ids (B, T) -> logits (B, T, V), final state
        x = F.one_hot(ids, self.vocab_size).to(self.decoder.weight.dtype)
        out, state = self.rnn(x, state)
        return self.decoder(out), state


def read_safetensors(path):
    """The metadata and float32 tensors of a safetensors file (the format is simple enough to read here)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    if "charnn.checksum" in meta and meta["charnn.checksum"] != "crc32:%08x" % zlib.crc32(data):
        raise SystemExit(f"{path}: the data does not match its checksum; the file is corrupt")
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32).reshape(info["shape"])
    return meta, tensors


def load_charnn(path):
    """A charnn checkpoint as (model, vocabulary, config, training options)."""
    meta, tensors = read_safetensors(path)
    config, vocab = json.loads(meta["charnn.config"]), json.loads(meta["charnn.vocab"])
    model = CharRNN(config["cell"], config["vocab_size"], config["hidden"], config["layers"], config["dropout"])
    # Only the model's tensors are loaded. A resumable checkpoint also holds charnn's optimizer
    # moments (optimizer.*) and the hidden state it carries between batches (training.state.*);
    # those are left out: training here starts a fresh Adam from a zero state.
    weights = {k: v for k, v in tensors.items() if not k.startswith(("optimizer.", "training.state."))}
    model.load_state_dict(weights)  # strict: every name and shape must match
    options = json.loads(meta.get("charnn.training", "{}")).get("options", {})
    return model, vocab, config, options


def write_charnn(path, model, vocab, config):
    """A weights-only charnn checkpoint (safetensors, float32 little-endian, charnn's metadata)."""
    header, blobs, offset = {}, [], 0
    for name, t in model.state_dict().items():
        values = t.detach().to("cpu", torch.float32).reshape(-1).tolist()
        blob = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    data = b"".join(blobs)
    header["__metadata__"] = {"charnn.format": "1", "charnn.vocab": json.dumps(vocab),
                              "charnn.config": json.dumps(config), "charnn.checksum": "crc32:%08x" % zlib.crc32(data)}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)
    os.replace(path + ".tmp", path)


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


@torch.no_grad()
def mean_loss(model, ids, device, chunk=256):
    """What `charnn eval` reports: the mean cross-entropy of each next character, one stream from a zero state."""
    model.eval()
    total, state = 0.0, None
    for t in range(0, len(ids) - 1, chunk):
        x, y = ids[t:t + chunk + 1][:-1], ids[t + 1:t + chunk + 1]
        logits, state = model(x.view(1, -1).to(device), state)
        total += F.cross_entropy(logits.view(-1, model.vocab_size), y.to(device), reduction="sum").item()
    model.train()
    return total / (len(ids) - 1)


def streams(ids, streams_in_all, first, count, steps):
    """As charnn trains: the text cut into equal contiguous streams, read `steps` characters at a
    time; this process takes streams first ..< first + count of them."""
    usable = (len(ids) - 1) // (streams_in_all * steps) * (streams_in_all * steps)
    x = ids[:usable].view(streams_in_all, -1)[first:first + count]
    y = ids[1:usable + 1].view(streams_in_all, -1)[first:first + count]
    return [(x[:, t:t + steps], y[:, t:t + steps]) for t in range(0, x.size(1), steps)]


def start_process():
    """(distributed, rank, world size, device): one of torchrun's processes, or the only one."""
    distributed = "LOCAL_RANK" in os.environ  # set by torchrun
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    local = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local}" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return distributed, rank, world, device


def main():
    p = argparse.ArgumentParser(description="Continue training a charnn checkpoint in PyTorch.")
    p.add_argument("checkpoint")
    p.add_argument("text", help="UTF-8 training text; its last 5%% is held out for validation")
    p.add_argument("--output", default="continued.ckpt")
    p.add_argument("--iterations", type=int, default=1000)
    p.add_argument("--batch", type=int, help="streams per process (default: the checkpoint's)")
    p.add_argument("--seq", type=int, help="steps of truncated backpropagation (default: the checkpoint's)")
    p.add_argument("--lr", type=float, help="Adam's learning rate (default: the checkpoint's)")
    a = p.parse_args()
    distributed, rank, world, device = start_process()

    model, vocab, config, options = load_charnn(a.checkpoint)
    model.to(device)
    with open(a.text, encoding="utf-8") as f:
        text = f.read()
    index = {c: i for i, c in enumerate(vocab)}
    unknown = sorted(set(text) - index.keys())
    if unknown:
        raise SystemExit(f"{a.text} has characters the checkpoint's vocabulary lacks: {unknown[:10]}")
    ids = torch.tensor([index[c] for c in text])
    if rank == 0:
        head = ids[:10001]
        print(f"loss on the first {len(head) - 1} characters as loaded: {mean_loss(model, head, device):.6f} nats/char")

    held_out = max(int(len(ids) * 0.05), 2)
    batch, seq = a.batch or options.get("batch_size", 50), a.seq or options.get("seq_length", 50)
    batches = streams(ids[:-held_out], world * batch, rank * batch, batch, seq)
    if not batches:
        raise SystemExit(f"{a.text} is too short for {world} x {batch} streams of {seq} steps")
    net = nn.parallel.DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None) \
        if distributed else model
    optimizer = torch.optim.Adam(model.parameters(), lr=a.lr or options.get("lr", 2e-3))
    clip, clip_norm = options.get("grad_clip", 5.0), options.get("clip_norm")

    state = None
    for it in range(a.iterations):
        k = it % len(batches)
        if k == 0:
            state = None  # every pass over the text starts from a zero state
        x, y = batches[k]
        logits, state = net(x.to(device), state)
        loss = F.cross_entropy(logits.reshape(-1, model.vocab_size), y.reshape(-1).to(device))
        optimizer.zero_grad()
        loss.backward()  # DistributedDataParallel averages the gradients over all processes here
        if clip > 0:  # charnn's element-wise clamp, then its optional global norm limit
            for w in model.parameters():
                w.grad.clamp_(-clip, clip)
        if clip_norm:
            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        optimizer.step()
        state = detach(state)
        if rank == 0 and ((it + 1) % 100 == 0 or it + 1 == a.iterations):
            print(f"iteration {it + 1}: train loss {loss.item():.4f}")

    if rank == 0:
        print(f"validation loss {mean_loss(model, ids[-held_out:], device):.6f} nats/char")
        write_charnn(a.output, model, vocab, config)
        print(f"wrote {a.output}")
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
