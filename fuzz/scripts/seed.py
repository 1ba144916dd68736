#!/usr/bin/env python3
"""(Re)build the committed seed corpus fuzz/corpus/<target>/seed-* from the
analyzer-core test corpus and fixtures. Share links for share_decode are
taken from fuzz/scripts/links.txt (one per line). Run from the repo root."""
import hashlib, os, shutil, struct

ROOT = "analyzer-core/tests"
OUT = "fuzz/corpus"
MAX_SEED = 6 * 1024


def smallest(d, n=1):
    files = sorted(
        (os.path.getsize(os.path.join(d, f)), f) for f in os.listdir(d) if os.path.isfile(os.path.join(d, f))
    )
    return [os.path.join(d, f) for _, f in files[:n]]


def read(p):
    data = open(p, "rb").read()
    if len(data) > MAX_SEED:
        data = data[: data.rfind(b"\n", 0, MAX_SEED) + 1]
    return data


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "seed-" + name), "wb").write(data)


corpus = sorted(os.path.join(ROOT, "corpus", d) for d in os.listdir(os.path.join(ROOT, "corpus")))
fixtures = sorted(os.path.join(ROOT, "fixtures", d) for d in os.listdir(os.path.join(ROOT, "fixtures")))
cases = [(os.path.basename(d), smallest(d)[0]) for d in corpus]  # one per cause
fixture_cases = [(os.path.basename(d), smallest(d)[0]) for d in fixtures]

shutil.rmtree(OUT, ignore_errors=True)
for name, p in cases:
    write("diagnose", name, read(p))
for name, p in cases[::2] + fixture_cases:
    write("detect_parse", name, read(p))
for name, p in cases[1::2]:
    write("redact", name, read(p))
for i, (name, p) in enumerate(cases[::2]):
    data = read(p)
    # streaming: 1 byte with the number of cuts, 2 bytes per cut, then the input.
    cuts = [(len(data) * k) // 4 + i for k in range(1, 4)]
    write("streaming", name, bytes([len(cuts)]) + b"".join(struct.pack("<H", c % 65536) for c in cuts) + data)
cfg = os.path.join(ROOT, "fixtures", "nginx_config")
for f in sorted(os.listdir(cfg)):
    write("nginx_config", os.path.splitext(f)[0], read(os.path.join(cfg, f)))
for name in ["config_error", "upstream_ssl", "no_live_upstreams", "header_too_big"]:
    write("nginx_config", name, read(smallest(os.path.join(ROOT, "corpus", name))[0]))
links = [l for l in open("fuzz/scripts/links.txt").read().split("\n") if l]
for l in links:
    write("share_decode", hashlib.sha1(l.encode()).hexdigest()[:12], l.encode())
for name, p in cases[:6]:
    write("share_decode", name, read(p))
