"""Real Argos packages, built in milliseconds, whose "translation" is exact and visible.

No model can be downloaded here, and none ships in a registry package, so tests (and
``benchmarks/translation.py``) build their own, with only what argos-translate-lt installs:

- a character-level SentencePiece model (every printable ASCII character plus the accented
  letters of French and Portuguese);
- a CTranslate2 ``TransformerSpec`` whose weights are set by hand: learned position codes,
  cross-attention whose query reads the decoder's position and whose key reads the
  encoder's, so step t copies source piece t, and an output projection that writes each
  piece's *twin* (``transform(piece)``: upper case by default). Self-attention and the
  feed-forward layers are zero, so extra layers cost real compute but change nothing;
- a MiniSBD ONNX sentence splitter (one ``Gather`` node: ``.``, ``!`` and ``?`` end a
  sentence), written as raw protobuf since the ``onnx`` package is not installed;
- ``metadata.json``, zipped into an ``.argosmodel`` by ``translation.models.build_package``.

"Hello world." through ``en→fr`` built with ``str.upper`` comes out "HELLO WORLD.".
"""

from __future__ import annotations

import functools
import io
import json
import string
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from translation.models import build_package

Transform = Callable[[str], str]

_ACCENTED = "àâçéèêëîïôûùüÿœæãõáíóúñ"
CHARACTERS = (
    "".join(ch for ch in string.printable if ch not in "\t\n\r\x0b\x0c")
    + _ACCENTED
    + _ACCENTED.upper()
)
_POSITIONS = 1040  # past CTranslate2's longest decoding (1024) in our engine
_POSITION_DIM = 64


def upper(text: str) -> str:
    return text.upper()


def leet(text: str) -> str:
    """Upper case with A, E, O as 4, 3, 0: a second leg that shows it ran."""
    return text.upper().translate(str.maketrans("AEO", "430"))


@functools.cache
def sentencepiece_model() -> bytes:
    """A character-level SentencePiece model covering ``CHARACTERS`` (~10 ms, cached)."""
    import sentencepiece as spm

    sentences = [f"lesson {i} of the week is about fractions." for i in range(100)]
    sentences += [CHARACTERS] * 3
    writer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=writer,
        model_type="char",
        vocab_size=len(CHARACTERS) + 8,
        character_coverage=1.0,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    return writer.getvalue()


def vocabulary() -> list[str]:
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_proto=sentencepiece_model())
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def build_ct2_model(
    output: Path,
    transform: Transform = upper,
    *,
    layers: int = 1,
    d_model: int | None = None,
    ffn: int = 4,
    seed: int = 7,
) -> Path:
    """A CTranslate2 model that writes ``transform(piece)`` for each source piece."""
    from ctranslate2.specs import transformer_spec

    vocab = vocabulary()
    size = len(vocab)
    width = max(d_model or 0, size + _POSITION_DIM)
    pos = slice(size, size + _POSITION_DIM)
    f32 = np.float32
    rng = np.random.default_rng(seed)
    codes = rng.standard_normal((_POSITIONS, _POSITION_DIM))
    codes -= codes.mean(axis=1, keepdims=True)
    codes /= np.linalg.norm(codes, axis=1, keepdims=True)
    positions = np.zeros((_POSITIONS, width), f32)
    positions[:, pos] = codes

    def norm(layer: object) -> None:
        layer.gamma = np.ones(width, f32)  # type: ignore[attr-defined]
        layer.beta = np.zeros(width, f32)  # type: ignore[attr-defined]

    def linear(layer: object, rows: int, cols: int, weight: np.ndarray | None = None) -> None:
        layer.weight = np.zeros((rows, cols), f32) if weight is None else weight.astype(f32)  # type: ignore[attr-defined]
        layer.bias = np.zeros(rows, f32)  # type: ignore[attr-defined]

    def common(stack: object) -> None:
        stack.scale_embeddings = False  # type: ignore[attr-defined]
        stack.position_encodings.encodings = positions  # type: ignore[attr-defined]
        norm(stack.layer_norm)  # type: ignore[attr-defined]
        for layer in stack.layer:  # type: ignore[attr-defined]
            norm(layer.self_attention.layer_norm)
            linear(layer.self_attention.linear[0], 3 * width, width)
            linear(layer.self_attention.linear[1], width, width)
            norm(layer.ffn.layer_norm)
            linear(layer.ffn.linear_0, ffn, width)
            linear(layer.ffn.linear_1, width, ffn)

    spec = transformer_spec.TransformerSpec.from_config(layers, 1)
    one_hot = np.zeros((size, width), f32)
    one_hot[np.arange(size), np.arange(size)] = 1.0
    spec.encoder.embeddings[0].weight = one_hot
    common(spec.encoder)
    spec.decoder.embeddings.weight = np.zeros((size, width), f32)
    common(spec.decoder)
    for index, layer in enumerate(spec.decoder.layer):
        query, key, value, out = (np.zeros((width, width)) for _ in range(4))
        if index == 0:
            # Step t attends to source position t and copies its piece.
            query[pos, pos] = np.eye(_POSITION_DIM) * 8.0
            key[pos, pos] = np.eye(_POSITION_DIM)
            value[:size, :size] = np.eye(size)
            out[:size, :size] = np.eye(size)
        norm(layer.attention.layer_norm)
        linear(layer.attention.linear[0], width, width, query)
        linear(layer.attention.linear[1], 2 * width, width, np.concatenate([key, value]))
        linear(layer.attention.linear[2], width, width, out)
    index = {piece: i for i, piece in enumerate(vocab)}
    twins = np.array([index.get(transform(piece), i) for i, piece in enumerate(vocab)])
    projection = np.zeros((size, width))
    projection[twins, np.arange(size)] = 10.0
    linear(spec.decoder.projection, size, width, projection)
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.config.add_source_eos = True
    spec.validate()
    spec.optimize()
    output.mkdir(parents=True, exist_ok=True)
    spec.save(str(output))
    return output


# --- MiniSBD's ONNX model, as raw protobuf ------------------------------------------------


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte = number & 0x7F
        number >>= 7
        if number:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _int(field: int, number: int) -> bytes:
    return _varint(field << 3) + _varint(number)


def _bytes(field: int, data: bytes | str) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    return _varint(field << 3 | 2) + _varint(len(raw)) + raw


def _value_info(name: str, element_type: int, dims: list[int | str]) -> bytes:
    shape = b"".join(
        _bytes(1, _int(1, dim) if isinstance(dim, int) else _bytes(2, dim)) for dim in dims
    )
    tensor_type = _int(1, element_type) + _bytes(2, shape)
    return _bytes(1, name) + _bytes(2, _bytes(1, tensor_type))


def minisbd_model(language: str = "en") -> bytes:
    """A MiniSBD sentence splitter: sentences end at ``.``, ``!`` and ``?``."""
    float_type, int64_type = 1, 7
    units = ["<PAD>", "<UNK>", *dict.fromkeys(CHARACTERS)]
    unit_ids = {unit: i for i, unit in enumerate(units)}
    table = np.zeros((len(units), 5), np.float32)
    table[:, 0] = 1.0
    for mark in ".!?":
        table[unit_ids[mark]] = [0, 0, 1, 0, 0]
    tensor = (
        b"".join(_int(1, dim) for dim in table.shape)
        + _int(2, float_type)
        + _bytes(8, "table")
        + _bytes(9, table.tobytes())
    )
    node = _bytes(1, "table") + _bytes(1, "units") + _bytes(2, "logits") + _bytes(4, "Gather")
    graph = (
        _bytes(1, node)
        + _bytes(2, "sbd")
        + _bytes(5, tensor)
        + _bytes(11, _value_info("units", int64_type, ["B", "T"]))
        + _bytes(11, _value_info("features", float_type, ["B", "T", 1]))
        + _bytes(12, _value_info("logits", float_type, ["B", "T", 5]))
    )
    config = {"feat_funcs": ["space_before"], "max_seqlen": 1000, "batch_size": 32}
    vocab = {"lang": language, "idx": 0, "cutoff": 0, "lower": False}
    vocab |= {"_unit2id": unit_ids, "_id2unit": units}
    metadata = {"config": json.dumps(config), "vocab": json.dumps(vocab), "lexicon": "null"}
    return (
        _int(1, 8)
        + _bytes(2, "jamii-tests")
        + _bytes(7, graph)
        + _bytes(8, _bytes(1, "") + _int(2, 13))
        + b"".join(_bytes(14, _bytes(1, k) + _bytes(2, v)) for k, v in metadata.items())
    )


def build_argosmodel(
    folder: Path,
    source: str,
    target: str,
    transform: Transform = upper,
    *,
    version: str = "1.0",
    layers: int = 1,
    d_model: int | None = None,
    ffn: int = 4,
    with_minisbd: bool = True,
) -> Path:
    """A complete ``.argosmodel`` for ``source→target`` in ``folder``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        model = build_ct2_model(work / "model", transform, layers=layers, d_model=d_model, ffn=ffn)
        spm = work / "sentencepiece.model"
        spm.write_bytes(sentencepiece_model())
        sbd = None
        if with_minisbd:
            sbd = work / f"{source}.onnx"
            sbd.write_bytes(minisbd_model(source))
        return build_package(
            folder,
            source=source,
            target=target,
            version=version,
            model_dir=model,
            sentencepiece=spm,
            minisbd=sbd,
        )


# --- an OPUS-MT (Marian) model folder ------------------------------------------------------

_MARIAN_CONFIG = """\
type: transformer
enc-depth: 1
dec-depth: 1
transformer-heads: 1
transformer-decoder-autoreg: self-attention
transformer-no-projection: false
transformer-ffn-activation: relu
transformer-preprocess: ""
transformer-postprocess: dan
transformer-postprocess-emb: d
transformer-postprocess-top: ""
transformer-guided-alignment-layer: last
"""


def build_opus_mt_folder(folder: Path, transform: Transform = upper, ffn: int = 4) -> Path:
    """A folder shaped like an OPUS-MT download (``decoder.yml``, ``opus.npz``,
    ``opus.vocab.yml``, ``source.spm``, ``target.spm``) holding a post-norm Marian
    Transformer with tied embeddings that writes ``transform(piece)`` for each piece.

    Marian's layout differs from the CTranslate2 model above: weights are stored [in, out],
    the output projection is the embedding matrix, and every sub-layer is followed by a
    layer norm. The copy still works: the cross-attention's output projection writes the
    twin of the attended piece ten times stronger than the previous piece the decoder sees.
    """
    vocab = vocabulary()
    size = len(vocab)
    width = size + _POSITION_DIM
    tok, pos = slice(0, size), slice(size, width)
    rng = np.random.default_rng(3)
    codes = rng.standard_normal((_POSITIONS, _POSITION_DIM))
    codes -= codes.mean(axis=1, keepdims=True)
    codes /= np.linalg.norm(codes, axis=1, keepdims=True)
    f32 = np.float32
    weights: dict[str, np.ndarray] = {}
    embedding = np.zeros((size, width), f32)
    embedding[np.arange(size), np.arange(size)] = 1.0
    weights["Wemb"] = embedding
    positions = np.zeros((_POSITIONS, width), f32)
    positions[:, pos] = codes
    weights["Wpos"] = positions

    def norm(name: str) -> None:
        weights[f"{name}_ln_scale"] = np.ones((1, width), f32)
        weights[f"{name}_ln_bias"] = np.zeros((1, width), f32)

    def attention(scope: str, matrices: dict[str, np.ndarray] | None = None) -> None:
        for part in "qkvo":
            given = (matrices or {}).get(part)
            weights[f"{scope}_W{part}"] = (
                np.zeros((width, width), f32) if given is None else given.astype(f32)
            )
            weights[f"{scope}_b{part}"] = np.zeros((1, width), f32)
        norm(f"{scope}_Wo")

    def feed_forward(scope: str) -> None:
        weights[f"{scope}_W1"] = np.zeros((width, ffn), f32)
        weights[f"{scope}_b1"] = np.zeros((1, ffn), f32)
        weights[f"{scope}_W2"] = np.zeros((ffn, width), f32)
        weights[f"{scope}_b2"] = np.zeros((1, width), f32)
        norm(f"{scope}_ffn")

    attention("encoder_l1_self")
    feed_forward("encoder_l1_ffn")
    attention("decoder_l1_self")
    index = {piece: i for i, piece in enumerate(vocab)}
    twins = np.array([index.get(transform(piece), i) for i, piece in enumerate(vocab)])
    query, key, value, out = (np.zeros((width, width)) for _ in range(4))
    query[pos, pos] = np.eye(_POSITION_DIM) * 200.0
    key[pos, pos] = np.eye(_POSITION_DIM)
    value[tok, tok] = np.eye(size)
    out[np.arange(size), twins] = 10.0  # [in, out]: piece u in, its twin out
    attention("decoder_l1_context", {"q": query, "k": key, "v": value, "o": out})
    feed_forward("decoder_l1_ffn")
    weights["decoder_ff_logit_out_b"] = np.zeros((1, size), f32)
    weights["special:model.yml"] = np.frombuffer(_MARIAN_CONFIG.encode() + b"\0", np.int8)

    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "opus.npz", **weights)  # type: ignore[arg-type]
    (folder / "opus.vocab.yml").write_text(
        "".join(f"{json.dumps(piece, ensure_ascii=False)}: {i}\n" for i, piece in enumerate(vocab)),
        encoding="utf-8",
    )
    (folder / "source.spm").write_bytes(sentencepiece_model())
    (folder / "target.spm").write_bytes(sentencepiece_model())
    (folder / "decoder.yml").write_text(
        "models:\n  - opus.npz\nvocabs:\n  - opus.vocab.yml\n  - opus.vocab.yml\n"
        "beam-size: 6\nnormalize: 0.6\n",
        encoding="utf-8",
    )
    return folder
