#!/usr/bin/env python3
"""Regenerate the embedded Fashion-MNIST subset from the full dataset.

The full dataset comes from Debian's `dataset-fashion-mnist` package
(`apt-get install dataset-fashion-mnist`), which installs the original gzipped
IDX files under /usr/share/datasets/fashion-mnist/. For each split this keeps
the first N images of every class, in file order (N = 500 for train, 100 for
test), and writes them as gzipped IDX files in the same format, so the crate
decodes them with the same loader as the full dataset.

The output is byte-for-byte reproducible: gzip level 9, no file name, mtime 0.

Usage: python3 make_subset.py [SOURCE_DIR] [OUTPUT_DIR]
"""

import gzip
import hashlib
import os
import struct
import sys

SOURCE = "/usr/share/datasets/fashion-mnist"
PER_CLASS = {"train": 500, "t10k": 100}
OUTPUT_SPLIT = {"train": "train", "t10k": "test"}
NUM_CLASSES = 10


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    (found,) = struct.unpack(">I", data[:4])
    if found != magic:
        sys.exit(f"{path}: magic {found:#010x}, expected {magic:#010x}")
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return dims, data[4 + 4 * ndim :]


def write_gz(path, payload):
    with open(path, "wb") as raw:
        # filename="" and mtime=0 keep the output identical from run to run.
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as f:
            f.write(payload)


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else SOURCE
    output = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
    for split, per_class in PER_CLASS.items():
        (n, rows, cols), pixels = read_idx(os.path.join(source, f"{split}-images-idx3-ubyte.gz"), 0x00000803)
        (n_labels,), labels = read_idx(os.path.join(source, f"{split}-labels-idx1-ubyte.gz"), 0x00000801)
        if n != n_labels or len(labels) != n or len(pixels) != n * rows * cols:
            sys.exit(f"{split}: {n} images and {n_labels} labels do not agree with the file sizes")
        size = rows * cols
        taken = [0] * NUM_CLASSES
        keep = []
        for i, label in enumerate(labels):
            if taken[label] < per_class:
                taken[label] += 1
                keep.append(i)
        if taken != [per_class] * NUM_CLASSES:
            sys.exit(f"{split}: only {taken} images per class")
        out_images = struct.pack(">IIII", 0x00000803, len(keep), rows, cols) + b"".join(
            pixels[i * size : (i + 1) * size] for i in keep
        )
        out_labels = struct.pack(">II", 0x00000801, len(keep)) + bytes(labels[i] for i in keep)
        name = OUTPUT_SPLIT[split]
        for kind, payload in (("images-idx3", out_images), ("labels-idx1", out_labels)):
            path = os.path.join(output, f"fashion-mnist-subset-{name}-{kind}-ubyte.gz")
            write_gz(path, payload)
            digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
            print(f"{os.path.basename(path)}  {os.path.getsize(path)} bytes  sha256 {digest}")
        print(f"{name}: {len(keep)} images, source indices {keep[0]}..{keep[-1]}")


if __name__ == "__main__":
    main()
