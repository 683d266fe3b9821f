#!/usr/bin/env bash
# Remakes the checked-in seed corpus (fuzz/corpus/): tiny valid inputs of every parser, so the
# fuzzer starts from the structure of real files. Needs sox, flac, lame, oggenc, opusenc,
# python3 and a built dist/. The seeds are committed; run this only to change them.
set -euo pipefail
cd "$(dirname "$0")"
C=corpus
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p $C/{wav,flac,mpeg,ogg,detect,mpeg-header,ogg-headers,pickle,zip,safetensors,report-csv,report-json,report-jsonl,csv-from-json,manifest,manifest-stream,gates}

sox -n -r 8000 -c 1 -b 16 $T/a.wav synth 0.06 sine 440 vol 0.5
sox -n -r 8000 -c 2 -b 24 $T/b.wav synth 0.03 sine 300
sox -n -r 8000 -c 1 -e floating-point -b 32 $T/c.wav synth 0.03 sine 500
sox -n -r 8000 -c 1 -e u-law $T/d.wav synth 0.03 sine 500
cp $T/a.wav $T/b.wav $T/c.wav $T/d.wav $C/wav/
# An odd-sized LIST chunk without its pad byte, then data.
python3 - "$C/wav/odd-chunk.wav" <<'PY'
import struct, sys
fmt = struct.pack('<HHIIHH', 1, 1, 8000, 16000, 2, 16)
data = struct.pack('<40h', *[(i * 997) % 20000 - 10000 for i in range(40)])
body = b'WAVE' + b'fmt ' + struct.pack('<I', 16) + fmt + b'LIST' + struct.pack('<I', 5) + b'INFOx' + b'data' + struct.pack('<I', len(data)) + data
open(sys.argv[1], 'wb').write(b'RIFF' + struct.pack('<I', len(body)) + body)
PY

flac -s -f --no-padding -b 256 $T/a.wav -o $C/flac/mono.flac
sox -n -r 8000 -c 2 -b 16 $T/s.wav synth 0.05 sine 440 sine 660
flac -s -f --no-padding -b 192 $T/s.wav -o $C/flac/stereo.flac
flac -s -f --no-padding --lax -b 16 -l 0 $T/a.wav -o $C/flac/tiny-blocks.flac

sox -n -r 8000 -c 1 -b 16 $T/m.wav synth 0.1 sine 440
lame --quiet -b 8 $T/m.wav $C/mpeg/cbr.mp3
lame --quiet -V 9 --tt seed $T/m.wav $C/mpeg/vbr-id3.mp3
sox -n -r 16000 -c 1 -b 16 $T/m2.wav synth 0.1 sine 440
lame --quiet -b 32 $T/m2.wav $C/mpeg/mpeg2.mp3

oggenc -Q -q -1 $T/m.wav -o $C/ogg/vorbis.ogg
opusenc --quiet --bitrate 6 $T/m.wav $C/ogg/opus.opus

cp $C/wav/a.wav $C/flac/mono.flac $C/mpeg/vbr-id3.mp3 $C/ogg/opus.opus $C/detect/
head -c 4 $C/mpeg/cbr.mp3 > $C/mpeg-header/header
head -c 600 $C/mpeg/vbr-id3.mp3 | python3 -c "import sys; b=sys.stdin.buffer.read(); i=b.find(b'\xff\xfb'); i = i if i >= 0 else b.find(b'\xff\xf3'); sys.stdout.buffer.write(b[max(i,0):])" > $C/mpeg-header/xing

python3 - "$C" <<'PY'
import pickle, struct, sys, zipfile, io, json, collections
c = sys.argv[1]
# ogg-headers: first byte picks the split (see the target); an OpusHead of mapping family 1.
head = b'OpusHead' + bytes([1, 2]) + struct.pack('<HIhB', 312, 48000, 0, 0)
open(f'{c}/ogg-headers/opushead', 'wb').write(bytes([len(head) // 7 + 1]) + head + b'OpusTags' + struct.pack('<I', 4) + b'seed' + struct.pack('<I', 0))
value = collections.OrderedDict([('model', {'conv.weight': [1.0, 2.0], 'bias': (None, True, 3)}), ('step', 12)])
open(f'{c}/pickle/dict.pkl', 'wb').write(pickle.dumps(value, protocol=2))
open(f'{c}/pickle/list.pkl', 'wb').write(pickle.dumps([1, 2.5, 'x', b'y', (1,), {'k': None}], protocol=4))
z = io.BytesIO()
with zipfile.ZipFile(z, 'w', zipfile.ZIP_STORED) as f:
    f.writestr('archive/data.pkl', pickle.dumps({'a': 1}, protocol=2))
    f.writestr('archive/data/0', b'\0' * 16)
    f.writestr('archive/version', b'3\n')
open(f'{c}/zip/checkpoint.pt', 'wb').write(z.getvalue())
header = json.dumps({'w': {'dtype': 'F32', 'shape': [2, 2], 'data_offsets': [0, 16]}, '__metadata__': {'format': 'pt'}}).encode()
open(f'{c}/safetensors/small.safetensors', 'wb').write(struct.pack('<Q', len(header)) + header + b'\0' * 16)
PY

cat > $C/manifest/pairs.csv <<'CSV'
ref,syn,key
ref/a.wav,syn/a.wav,a
"ref/b,c.wav",syn/b.flac,
CSV
printf '{"ref":"ref/a.wav","syn":"syn/a.wav"}\n{"syn":"syn/b.wav","key":"b"}\n' > $C/manifest/pairs.jsonl
# manifest-stream: one byte choosing the piece size (here 8 bytes), then the manifest.
for f in pairs.csv pairs.jsonl; do { printf '\007'; cat $C/manifest/$f; } > $C/manifest-stream/$f; done
printf 'fm > 0.4' > $C/gates/each
printf 'mean(mel_l1) >= 1.5' > $C/gates/mean
printf 'p95(fm) > 0.3' > $C/gates/percentile
printf 'count(fm > 0.5) > 2' > $C/gates/count

# Reports: a real scored run on two tiny pairs (one of them unpaired), in each readable format.
mkdir -p $T/ref $T/syn
sox -n -r 22050 -c 1 -b 16 $T/ref/a.wav synth 0.5 sine 200:400 vol 0.5
sox -n -r 22050 -c 1 -b 16 $T/syn/a.wav synth 0.5 sine 210:410 vol 0.4
cp $T/ref/a.wav $T/ref/-unpaired.wav
for f in csv json jsonl; do node ../bin/tts-critic.js score $T/ref $T/syn --format $f -o $C/report-$f/report.$f --quiet || true; done
sed -i "s#$T/##g" $C/report-*/report.*
# CSV from JSON text: the real records, and records of every odd shape the scanner must handle.
cp $C/report-jsonl/report.jsonl $C/csv-from-json/
cat > $C/csv-from-json/shapes.jsonl <<'JSONL'
{"fm_layers":{"s":[0.5,null,1E-3],"p\u0032":[]},"ref":"=a,b","syn":"'@x","status":"ok","fm":1.50,"gen":-0}
{ "syn" : "\u00e9\"q\"" , "ref":null, "status":"error", "error":"line\nbreak", "fm_layers":null, "métrique":123456789012345678901234567890 }
{"ref":"r","syn":"s","status":"ok","fm_layers":{"s":[1,2]},"fm_s_1":3}
{"a\"b":1,"ref":"r","ref":"again","status":"ok","syn":"s"}
JSONL
