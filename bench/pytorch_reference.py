"""PyTorch reference for the benchmarks: the same discriminators, weights and windows.

Reads a JSON spec written by the benchmark (layer table, a raw float32 weight file, the pairs
and the window length), builds the sub-discriminators with torch.nn.Conv1d/Conv2d exactly as
the upstream modules do (period reshape with reflect padding, AvgPool1d(4, 2, 2), torch.stft
magnitude with a centred rectangular window; the newer families' key templates, feature
selections, dilations, bands, DC + peak normalisation, Hann and complex STFTs in their framings,
and BigVGAN v2's resampler + nnAudio CQT from the stored kernels), and scores every window of every pair, the
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
import math
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


def fill(template, **values):
    """A key template of the model spec (src/model/types.ts KeyTemplates): {i}, {b}, {c} replaced."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def dc_peak(x):
    """DAC's and Vocos' input normalisation, per window (x: [N, T])."""
    x = x - x.mean(dim=-1, keepdim=True)
    return 0.8 * x / (x.abs().max(dim=-1, keepdim=True)[0] + 1e-9)


class Sub(torch.nn.Module):
    """One sub-discriminator from the layer-table spec, computed as the upstream modules do."""

    def __init__(self, spec, weights, family_normalize=None):
        super().__init__()
        self.spec = spec
        self.slope = spec["slope"]
        self.input = spec["input"]
        self.normalize = spec.get("normalize") or family_normalize
        two_d = self.input["kind"] != "waveform"
        conv_class = torch.nn.Conv2d if two_d else torch.nn.Conv1d

        def make(layer, key):
            dilation = tuple(layer.get("dilation") or [1] * len(layer["kernel"]))
            conv = conv_class(layer["in"], layer["out"], tuple(layer["kernel"]), tuple(layer["stride"]),
                              padding=tuple(layer["padding"]), groups=layer["groups"], dilation=dilation)
            conv.weight.data = weights[f"{key}.weight"].reshape(conv.weight.shape)
            conv.bias.data = weights[f"{key}.bias"].reshape(conv.bias.shape)
            return conv

        prefix = spec["prefix"]
        keys = spec.get("keys") or {"conv": "convs.{i}", "post": "conv_post"}
        self.features_spec = spec.get("features") or {"skipFirst": 0, "post": True}
        bands = (spec.get("bands") or {}).get("fractions")
        self.bands = bands
        self.stacks = torch.nn.ModuleList(
            torch.nn.ModuleList(make(layer, f"{prefix}.{fill(keys['conv'], i=i, b=b)}") for i, layer in enumerate(spec["convs"]))
            for b in range(len(bands) if bands else 1))
        self.post = make(spec["post"], f"{prefix}.{keys['post']}")
        pre = spec.get("pre")
        self.pre = torch.nn.ModuleList(make(pre["layer"], f"{prefix}.{fill(pre['key'], c=c)}") for c in range(pre["count"])) if pre else None
        # Stored transform tensors the sub reads (BigVGAN v2's CQT kernels and resampler).
        self.buffers_ = {b["key"]: weights[f"{prefix}.{b['key']}"] for b in spec.get("buffers") or [] if b["use"] == "read"}

    def cqt(self, x):
        """BigVGAN v2: torchaudio Resample(fs, 2fs) with the stored kernel, then nnAudio CQT2010v2 -> [N, 2, frames, bins]."""
        kind = self.input
        kernel = self.buffers_["resample.kernel"]
        width = (kernel.shape[-1] - 1) // 2
        n, t = x.shape
        h = F.conv1d(F.pad(x, (width, width + 1))[:, None], kernel)
        h = h.transpose(1, 2).reshape(n, -1)[:, :2 * t][:, None]
        real = self.buffers_["cqt_transform.cqt_kernels_real"]
        imag = self.buffers_["cqt_transform.cqt_kernels_imag"]
        lowpass = self.buffers_["cqt_transform.lowpass_filter"]
        pad = real.shape[-1] // 2
        hop = kind["hop"]

        def octave(signal, hop):
            signal = F.pad(signal, (pad, pad))
            return torch.stack((F.conv1d(signal, real, stride=hop), -F.conv1d(signal, imag, stride=hop)), -1)

        spectrum = octave(h, hop)
        down = h
        for _ in range(kind["octaves"] - 1):
            hop //= 2
            down = F.conv1d(down, lowpass, stride=2, padding=(lowpass.shape[-1] - 1) // 2)
            spectrum = torch.cat((octave(down, hop), spectrum), 1)
        spectrum = spectrum * torch.sqrt(self.buffers_["cqt_transform.lenghts"].view(-1, 1, 1))
        z = spectrum.permute(0, 3, 2, 1)  # [N, bins, frames, 2] -> [N, 2, frames, bins]
        if self.pre is None:
            return z
        bpo = kind["binsPerOctave"]
        return torch.cat([conv(z[..., o * bpo:(o + 1) * bpo]) for o, conv in enumerate(self.pre)], -1)

    def stft(self, x):
        """The newer spectrogram inputs, [N, C, frames, bins] (C = 1 magnitude, 2 real/imag)."""
        kind = self.input
        n_fft, hop, win = kind["nFft"], kind["hop"], kind["win"]
        window = torch.hann_window(win, device=x.device) if kind["window"] == "hann" else torch.ones(win, device=x.device)
        framing = kind["framing"]
        if framing == "dac":
            # audiotools AudioSignal.stft(match_stride=True): pad, centre, drop 2 frames each side.
            right = math.ceil(x.shape[-1] / hop) * hop - x.shape[-1]
            pad = (n_fft - hop) // 2
            x = F.pad(x[:, None], (pad, pad + right), mode="reflect")[:, 0]
        spec = torch.stft(x, n_fft, hop, win, window, center=framing != "none", pad_mode="reflect", return_complex=True)
        if framing == "dac":
            spec = spec[..., 2:-2]
        if kind.get("normalized"):
            spec = spec / window.pow(2).sum().sqrt()
        if kind["value"] == "magnitude":
            return spec.abs().transpose(1, 2).unsqueeze(1)
        return torch.view_as_real(spec).permute(0, 3, 2, 1)  # [N, F, frames, 2] -> [N, 2, frames, F]

    def features(self, x):  # x: [N, T]; the maps the family's feature loss compares
        kind = self.input
        if self.normalize == "dc-peak":
            x = dc_peak(x)
        if kind["kind"] == "waveform":
            h = x.unsqueeze(1)
            for _ in range(kind["pool"]):
                h = F.avg_pool1d(h, 4, 2, padding=2)
        elif kind["kind"] == "period":
            p = kind["period"]
            h = x.unsqueeze(1)
            b, c, t = h.shape
            if t % p != 0 or kind.get("alwaysPad"):
                h = F.pad(h, (0, p - t % p), "reflect")
                t = h.shape[-1]
            h = h.view(b, c, t // p, p)
        elif kind["kind"] == "resolution":
            n_fft, hop, win = kind["nFft"], kind["hop"], kind["win"]
            h = F.pad(x.unsqueeze(1), ((n_fft - hop) // 2, (n_fft - hop) // 2), mode="reflect").squeeze(1)
            spec = torch.stft(h, n_fft=n_fft, hop_length=hop, win_length=win, center=False, return_complex=True)
            h = torch.abs(spec).unsqueeze(1)
        elif kind["kind"] == "stft":
            h = self.stft(x)
        elif kind["kind"] == "cqt":
            h = self.cqt(x)
        else:
            raise SystemExit(f"unknown input kind {kind['kind']}")
        skip = self.features_spec["skipFirst"]
        maps = []
        if self.bands:
            bins = h.shape[-1]
            parts = [h[..., int(lo * bins):int(hi * bins)] for lo, hi in self.bands]
        else:
            parts = [h]
        outputs = []
        for part, stack in zip(parts, self.stacks):
            for i, conv in enumerate(stack):
                part = F.leaky_relu(conv(part), self.slope)
                if i >= skip:
                    maps.append(part)
            outputs.append(part)
        logits = self.post(torch.cat(outputs, -1) if len(outputs) > 1 else outputs[0])
        if self.features_spec["post"]:
            maps.append(logits)
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
    subs = [Sub(s, weights, spec.get("normalize")).to(device).eval() for s in spec["subs"]]
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
