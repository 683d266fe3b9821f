"""PyTorch reference for bench/corpus.mjs: the same discriminators, weights and windows.

Reads a JSON spec written by the benchmark (layer table, a raw float32 weight file, the pairs
and the window length), builds the sub-discriminators with torch.nn.Conv1d/Conv2d exactly as
the upstream modules do (period reshape with reflect padding, AvgPool1d(4, 2, 2), torch.stft
magnitude with a centred rectangular window), and scores every window of every pair with the
reference and synthesized windows as one batch of two, as tts-critic does. It reports the
wall time of the scoring loop only (WAV reading and model construction excluded, after one
warm-up window) and each pair's fm, so the benchmark can check that both did the same work.

Usage: python3 bench/pytorch_reference.py SPEC.json  ->  JSON on stdout
"""
import json
import sys
import time
import wave

import numpy as np
import torch
import torch.nn.functional as F


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise SystemExit(f"{path}: the benchmark corpus is 16-bit mono")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return torch.from_numpy(data.astype(np.float32) / 32768.0)


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
    torch.set_num_threads(spec["threads"])
    raw = np.fromfile(spec["weights"], dtype="<f4")
    weights = {k: torch.from_numpy(raw[v["offset"]:v["offset"] + v["size"]].copy()).reshape(v["shape"])
               for k, v in spec["index"].items()}
    subs = [Sub(s, weights).eval() for s in spec["subs"]]
    pairs = [(read_wav(r), read_wav(s)) for r, s in spec["pairs"]]
    segment = spec["segment"]

    def score_window(ref, syn):
        fm = gen = 0.0
        batch = torch.stack([ref, syn])
        for sub in subs:
            maps = sub.features(batch)
            for f in maps:
                fm += torch.mean(torch.abs(f[0] - f[1])).item()
            gen += torch.mean((1 - maps[-1][1]) ** 2).item()
        return fm, gen

    with torch.inference_mode():
        ref, syn = pairs[0]
        s, n = window_starts(min(len(ref), len(syn)), segment)[0]
        score_window(ref[s:s + n], syn[s:s + n])  # warm-up: allocations, oneDNN primitives
        results = []
        windows = 0
        start = time.perf_counter()
        for ref, syn in pairs:
            length = min(len(ref), len(syn))
            fms = []
            for s, n in window_starts(length, segment):
                fm, _ = score_window(ref[s:s + n], syn[s:s + n])
                fms.append(fm)
                windows += 1
            results.append(2 * sum(fms) / len(fms))
        elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "windows": windows, "fm": results,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
