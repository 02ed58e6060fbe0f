#!/usr/bin/env python3
"""Writes the small seed files in corpus/<fuzzer>/ (valid inputs the fuzzers mutate).

Independent of the engine: bytes are laid out here with struct, per the GGUF and
safetensors specs, so the seeds do not inherit a bug from our writers.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(version, kvs, tensors, alignment=32):
    """kvs: list of (key, type_id, payload bytes); tensors: (name, dims innermost first, ggml type, data)."""
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    for key, t, payload in kvs:
        out += gstr(key) + struct.pack("<I", t) + payload
    offset, blobs = 0, []
    for name, dims, t, data in tensors:
        out += gstr(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", t, offset)
        blobs.append((offset, data))
        offset += len(data)
        offset += (-offset) % alignment
    out += b"\0" * ((-len(out)) % alignment)
    start = len(out)
    for off, data in blobs:
        out += b"\0" * (start + off - len(out)) + data
    return out


def safetensors(tensors, metadata=None):
    header, offset, buf = {}, 0, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        buf += data
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((-len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + buf


def write(sub, name, data):
    d = os.path.join(HERE, "corpus", sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


f32 = lambda *v: struct.pack("<%df" % len(v), *v)
kvs = [
    ("general.architecture", 8, gstr("qwen3moe")),
    ("u8", 0, b"\x07"), ("i8", 1, b"\xfe"), ("u16", 2, struct.pack("<H", 9)), ("i16", 3, struct.pack("<h", -9)),
    ("u32", 4, struct.pack("<I", 64)), ("i32", 5, struct.pack("<i", -3)), ("f32", 6, f32(0.5)),
    ("bool", 7, b"\x01"), ("u64", 10, struct.pack("<Q", 1 << 40)), ("i64", 11, struct.pack("<q", -5)),
    ("f64", 12, struct.pack("<d", 2.5)),
    ("toks", 9, struct.pack("<IQ", 8, 2) + gstr("a") + gstr("<s>")),
    ("ids", 9, struct.pack("<IQ", 5, 3) + struct.pack("<3i", 1, 2, 3)),
    ("nest", 9, struct.pack("<IQ", 9, 1) + struct.pack("<IQ", 6, 1) + f32(1.0)),
]
tensors = [
    ("w.f32", [4, 2], 0, f32(*range(8))),
    ("w.f16", [4], 1, struct.pack("<4H", 0x3C00, 0x4000, 0x4200, 0x4400)),
    ("w.q8", [32], 8, bytes(range(34))),
    ("w.q4k", [256], 12, bytes(144)),
]
write("gguf", "v3_all_types.gguf", gguf(3, kvs, tensors))
write("gguf", "v2_small.gguf", gguf(2, kvs[:3], tensors[:1]))
write("gguf", "aligned64.gguf", gguf(3, [("general.alignment", 4, struct.pack("<I", 64))], tensors[:2], 64))
write("gguf", "empty.gguf", gguf(3, [], []))

write("safetensors", "mixed.safetensors", safetensors([
    ("a", "F32", [2, 2], f32(1, 2, 3, 4)),
    ("b", "F16", [2], struct.pack("<2H", 0x3C00, 0x4000)),
    ("c", "BF16", [1, 2], struct.pack("<2H", 0x3F80, 0xBF80)),
    ("d", "I8", [3], b"\x01\x02\x03"),
    ("s", "F32", [], f32(9)),
], {"format": "pt"}))
write("safetensors", "empty.safetensors", safetensors([]))

write("hf_config", "config.json", json.dumps({
    "architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "hidden_size": 2048,
    "num_experts": 128, "num_experts_per_tok": 8, "rope_theta": 1e6, "tie_word_embeddings": False,
    "rope_scaling": None, "eos_token_id": [151645, 151643]}, indent=2).encode())
write("hf_config", "index.json", json.dumps({"metadata": {"total_size": 40},
                                             "weight_map": {"a": "model-00001-of-00002.safetensors"}}).encode())
write("hf_config", "unicode.json", '{"s": "h\\u00e9llo \\ud83d\\ude00", "n": -1.5e-3}'.encode())
