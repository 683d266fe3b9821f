"""PyTorch reference for the benchmarks: the same discriminators, weights and windows.

Reads a JSON spec written by the benchmark (layer table, a raw float32 weight file, the pairs
and the window length), builds the sub-discriminators with torch.nn.Conv1d/Conv2d exactly as
the upstream modules do (period reshape with reflect padding, AvgPool1d(4, 2, 2), torch.stft
magnitude with a centred rectangular window), and scores every window of every pair, the
reference and synthesized windows going through one call, as tts-critic does. It reports the
wall time of the scoring loop only (WAV reading and model construction excluded, after a
warm-up call) and each pair's fm, so the benchmark can check that both did the same work.

Optional spec fields: "device" ("cpu" by default, or "cuda"), and "batch": windows per call
(default 1), taken in order from windows of equal length across pairs, as tts-critic's GPU
batching does. On CUDA the clock stops only after the device has finished.

Usage: python3 bench/pytorch_reference.py SPEC.json  ->  JSON on stdout
Needs only torch (no numpy).
"""
import json
import sys
import time
import wave

import torch
import torch.nn.functional as F


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise SystemExit(f"{path}: the benchmark corpus is 16-bit mono")
        data = bytearray(w.readframes(w.getnframes()))
    if sys.byteorder != "little":
        raise SystemExit("the benchmark reads little-endian WAV samples on little-endian machines only")
    return torch.frombuffer(data, dtype=torch.int16).to(torch.float32) / 32768.0


def window_starts(length, segment):
    """tts-critic's windows: 0, L, 2L, ...; a last partial window is right-aligned."""
    if segment <= 0 or length <= segment:
        return [(0, length)]
    starts = list(range(0, length - segment + 1, segment))
    if starts[-1] + segment < length:
        starts.append(length - segment)
    return [(s, segment) for s in starts]


class Sub(torch.nn.Module):
    def __init__(self, spec, weights):
        super().__init__()
        self.spec = spec
        self.slope = spec["slope"]
        two_d = spec["input"]["kind"] != "waveform"
        conv_class = torch.nn.Conv2d if two_d else torch.nn.Conv1d

        def make(layer, key):
            conv = conv_class(layer["in"], layer["out"], tuple(layer["kernel"]), tuple(layer["stride"]),
                              padding=tuple(layer["padding"]), groups=layer["groups"])
            conv.weight.data = weights[f"{key}.weight"].reshape(conv.weight.shape)
            conv.bias.data = weights[f"{key}.bias"].reshape(conv.bias.shape)
            return conv

        prefix = spec["prefix"]
        self.convs = torch.nn.ModuleList(make(layer, f"{prefix}.convs.{i}") for i, layer in enumerate(spec["convs"]))
        self.post = make(spec["post"], f"{prefix}.conv_post")

    def features(self, x):  # x: [N, T]
        kind = self.spec["input"]
        if kind["kind"] == "waveform":
            h = x.unsqueeze(1)
            for _ in range(kind["pool"]):
                h = F.avg_pool1d(h, 4, 2, padding=2)
        elif kind["kind"] == "period":
            p = kind["period"]
            h = x.unsqueeze(1)
            b, c, t = h.shape
            if t % p != 0:
                h = F.pad(h, (0, p - t % p), "reflect")
                t = h.shape[-1]
            h = h.view(b, c, t // p, p)
        else:
            n_fft, hop, win = kind["nFft"], kind["hop"], kind["win"]
            h = F.pad(x.unsqueeze(1), ((n_fft - hop) // 2, (n_fft - hop) // 2), mode="reflect").squeeze(1)
            spec = torch.stft(h, n_fft=n_fft, hop_length=hop, win_length=win, center=False, return_complex=True)
            h = torch.abs(spec).unsqueeze(1)
        maps = []
        for conv in self.convs:
            h = F.leaky_relu(conv(h), self.slope)
            maps.append(h)
        maps.append(self.post(h))
        return maps


def main():
    spec = json.load(open(sys.argv[1]))
    device = torch.device(spec.get("device", "cpu"))
    batch = int(spec.get("batch", 1))
    if device.type == "cpu":
        torch.set_num_threads(spec["threads"])
    else:
        torch.backends.cudnn.benchmark = True  # the fastest conv algorithms PyTorch can find
    with open(spec["weights"], "rb") as f:
        raw = torch.frombuffer(bytearray(f.read()), dtype=torch.float32)
    weights = {k: raw[v["offset"]:v["offset"] + v["size"]].clone().reshape(v["shape"]).to(device)
               for k, v in spec["index"].items()}
    subs = [Sub(s, weights).to(device).eval() for s in spec["subs"]]
    pairs = [(read_wav(r), read_wav(s)) for r, s in spec["pairs"]]
    segment = spec["segment"]

    # Every window as (pair, start, length); calls hold up to `batch` windows of one length.
    windows = []
    for p, (ref, syn) in enumerate(pairs):
        windows.extend((p, s, n) for s, n in window_starts(min(len(ref), len(syn)), segment))
    calls = []
    for length in dict.fromkeys(n for _, _, n in windows):
        same = [w for w in windows if w[2] == length]
        calls.extend(same[i:i + batch] for i in range(0, len(same), batch))

    def score_call(call):
        """fm (without the factor 2) of every window in the call, as one list."""
        refs = torch.stack([pairs[p][0][s:s + n] for p, s, n in call])
        syns = torch.stack([pairs[p][1][s:s + n] for p, s, n in call])
        x = torch.cat([refs, syns]).to(device, non_blocking=True)
        count = len(call)
        fm = torch.zeros(count, device=device)
        for sub in subs:
            maps = sub.features(x)
            for f in maps:
                fm += torch.abs(f[:count] - f[count:]).flatten(1).mean(1)
        return fm.tolist()  # waits for the device

    with torch.inference_mode():
        score_call(calls[0])  # warm-up: allocations, oneDNN primitives, cuDNN algorithm search
        if device.type == "cuda":
            torch.cuda.synchronize()
        per_pair = [[] for _ in pairs]
        start = time.perf_counter()
        for call in calls:
            for (p, _, _), fm in zip(call, score_call(call)):
                per_pair[p].append(fm)
        if device.type == "cuda":
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - start
    results = [2 * sum(fms) / len(fms) for fms in per_pair]
    print(json.dumps({"seconds": elapsed, "windows": len(windows), "calls": len(calls), "fm": results,
                      "torch": torch.__version__, "device": str(device),
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
