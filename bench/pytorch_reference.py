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


def conv_key(spec, i, band=0):
    """A conv's key base from the sub's key templates (src/model/keys.ts); default convs.{i}."""
    template = (spec.get("keys") or {}).get("conv", "convs.{i}")
    return spec["prefix"] + "." + template.replace("{i}", str(i)).replace("{b}", str(band))


def post_key(spec):
    return spec["prefix"] + "." + (spec.get("keys") or {}).get("post", "conv_post")


def feature_maps(spec, per_band_maps, post):
    """The maps the family's feature loss compares (src/model/keys.ts featuresOf): each band's
    maps from skipFirst on, then the post conv's output where `post`."""
    features = spec.get("features") or {"skipFirst": 0, "post": True}
    maps = [m for band in per_band_maps for m in band[features["skipFirst"]:]]
    if features["post"]:
        maps.append(post)
    return maps


def dc_peak(x):
    """DAC's and Vocos' input normalisation, as upstream writes it."""
    x = x - x.mean(dim=-1, keepdim=True)
    return 0.8 * x / (x.abs().max(dim=-1, keepdim=True)[0] + 1e-9)


class ComplexStftSub(torch.nn.Module):
    """DAC / Vocos / EnCodec complex-STFT sub-discriminators as upstream computes them: the
    framing of each project, view_as_real as [N, 2, frames, bins], the band split with each
    band's own convs (one band when the sub has none), the bands concatenated for conv_post."""

    def __init__(self, spec, weights):
        super().__init__()
        self.spec = spec
        self.slope = spec["slope"]
        inp = spec["input"]
        self.n_fft, self.hop = inp["nFft"], inp["hop"]
        self.register_buffer("window", torch.hann_window(self.n_fft))
        bins = self.n_fft // 2 + 1
        fractions = (spec.get("bands") or {}).get("fractions") or [[0.0, 1.0]]
        self.bands = [(int(lo * bins), int(hi * bins)) for lo, hi in fractions]

        def make(layer, key):
            conv = torch.nn.Conv2d(layer["in"], layer["out"], tuple(layer["kernel"]), tuple(layer["stride"]),
                                   padding=tuple(layer["padding"]), dilation=tuple(layer.get("dilation") or (1, 1)),
                                   groups=layer["groups"])
            conv.weight.data = weights[f"{key}.weight"].reshape(conv.weight.shape)
            conv.bias.data = weights[f"{key}.bias"].reshape(conv.bias.shape)
            return conv

        self.band_convs = torch.nn.ModuleList(
            torch.nn.ModuleList(make(layer, conv_key(spec, i, b)) for i, layer in enumerate(spec["convs"]))
            for b in range(len(self.bands)))
        self.post = make(spec["post"], post_key(spec))

    def spectrum(self, x):  # [N, T] -> [N, 2, frames, bins]
        inp = self.spec["input"]
        n_fft, hop = self.n_fft, self.hop
        if self.spec.get("normalize") == "dc-peak":
            x = dc_peak(x)
        if inp["framing"] == "dac":  # audiotools: own reflect padding, centring, frames [2, n - 2)
            length = x.shape[-1]
            right = -(-length // hop) * hop - length
            side = (n_fft - hop) // 2
            x = F.pad(x.unsqueeze(1), (side, side + right), mode="reflect").squeeze(1)
            z = torch.stft(x, n_fft, hop, window=self.window, center=True, return_complex=True)[..., 2:-2]
        else:
            z = torch.stft(x, n_fft, hop, window=self.window, center=inp["framing"] == "center", pad_mode="reflect",
                           return_complex=True)
            if inp.get("normalized"):
                z = z / self.window.pow(2).sum().sqrt()
        return torch.view_as_real(z).permute(0, 3, 2, 1)

    def features(self, x):
        z = self.spectrum(x)
        per_band, outputs = [], []
        for (lo, hi), convs in zip(self.bands, self.band_convs):
            h = z[..., lo:hi]
            maps = []
            for conv in convs:
                h = F.leaky_relu(conv(h), self.slope)
                maps.append(h)
            per_band.append(maps)
            outputs.append(h)
        return feature_maps(self.spec, per_band, self.post(torch.cat(outputs, dim=-1)))


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

        self.convs = torch.nn.ModuleList(make(layer, conv_key(spec, i)) for i, layer in enumerate(spec["convs"]))
        self.post = make(spec["post"], post_key(spec))

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
            if t % p != 0 or kind.get("alwaysPad"):  # DAC pads a whole period when T % p == 0
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
        return feature_maps(self.spec, [maps], self.post(h))


def make_sub(spec, weights):
    inp = spec["input"]
    if inp["kind"] == "stft" and inp.get("value") == "complex":
        return ComplexStftSub(spec, weights)
    return Sub(spec, weights)


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
    subs = [make_sub(s, weights).to(device).eval() for s in spec["subs"]]
    # A family-wide input normalisation (DAC), once for every sub.
    normalize = dc_peak if spec.get("normalize") == "dc-peak" else (lambda v: v)
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
        x = normalize(torch.cat([refs, syns]).to(device, non_blocking=True))
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
