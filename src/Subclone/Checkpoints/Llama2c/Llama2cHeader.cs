using System.Buffers.Binary;

namespace Subclone.Checkpoints.Llama2c;

/// <summary>
/// The 7-int32 header of a legacy (version 0) llama2.c checkpoint, checked against the file's length before
/// anything is allocated from it: the sizes come from an untrusted file.
/// </summary>
internal sealed record Llama2cHeader(
    int Dim, int HiddenDim, int Layers, int Heads, int KvHeads, int Vocab, int SeqLen, bool SharedClassifier)
{
    public const int ByteCount = 7 * sizeof(int);

    // export.py's version 1+ files start with this magic ("ak42"); read as a legacy header it would be a dim.
    const int VersionedMagic = 0x616b3432;

    public int HeadSize => Dim / Heads;

    public int KvDim => Dim / Heads * KvHeads;

    public static Llama2cHeader Read(Stream stream, string path)
    {
        long length = stream.Length;
        if (length < ByteCount)
            throw Invalid(path, $"file is {length} bytes, shorter than the {ByteCount}-byte llama2.c header");

        Span<byte> bytes = stackalloc byte[ByteCount];
        stream.ReadExactly(bytes);
        Span<int> v = stackalloc int[7];
        for (int i = 0; i < 7; i++) v[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * 4)..]);

        if (v[0] == VersionedMagic)
            throw Invalid(path, $"versioned llama2.c export (magic \"ak42\", version {v[1]}); only the legacy version-0 format is supported");

        // run.c: a negative vocab_size flags an unshared classifier. int.MinValue has no positive counterpart.
        bool shared = v[5] > 0;
        int vocab = v[5] == int.MinValue ? 0 : Math.Abs(v[5]);
        var header = new Llama2cHeader(v[0], v[1], v[2], v[3], v[4], vocab, v[6], shared);
        header.Validate(path, length, v[5]);
        return header;
    }

    void Validate(string path, long length, int storedVocab)
    {
        if (Dim <= 0 || HiddenDim <= 0 || Layers <= 0 || Heads <= 0 || KvHeads <= 0 || Vocab <= 0 || SeqLen <= 0)
            throw Invalid(path, $"header has a non-positive size ({Describe(storedVocab)})");
        if (Dim % Heads != 0)
            throw Invalid(path, $"n_heads {Heads} does not divide dim {Dim}");
        if (Heads % KvHeads != 0)
            throw Invalid(path, $"n_kv_heads {KvHeads} does not divide n_heads {Heads}");
        if (HeadSize % 2 != 0)
            throw Invalid(path, $"head size {HeadSize} is odd; RoPE rotates pairs");

        Int128 expected = ExpectedByteCount();
        if (length != expected)
        {
            string classifier = SharedClassifier ? "shared classifier" : "separate classifier";
            string hint = length < expected ? "truncated" : "trailing bytes";
            throw Invalid(path, $"file is {length} bytes but the header ({Describe(storedVocab)}, {classifier}) implies {expected} bytes ({hint})");
        }
    }

    // Exact size implied by the header, in run.c's memory_map_weights order. Int128 because products of three
    // untrusted int32s overflow long.
    Int128 ExpectedByteCount()
    {
        Int128 dim = Dim, hidden = HiddenDim, layers = Layers, kvDim = KvDim, vocab = Vocab;
        Int128 floats =
            vocab * dim                                   // token_embedding_table
            + layers * dim                                // rms_att_weight
            + layers * dim * dim                          // wq
            + 2 * layers * kvDim * dim                    // wk, wv
            + layers * dim * dim                          // wo
            + layers * dim                                // rms_ffn_weight
            + 3 * layers * hidden * dim                   // w1, w2, w3
            + dim                                         // rms_final_weight
            + 2 * (Int128)SeqLen * (HeadSize / 2)         // freq_cis_real, freq_cis_imag (unused)
            + (SharedClassifier ? 0 : vocab * dim);       // wcls
        return ByteCount + floats * sizeof(float);
    }

    // Only meaningful once Validate has tied the sizes to the file's length.
    public long FreqCisByteCount => 2L * SeqLen * (HeadSize / 2) * sizeof(float);

    string Describe(int storedVocab) =>
        $"dim {Dim}, hidden_dim {HiddenDim}, n_layers {Layers}, n_heads {Heads}, n_kv_heads {KvHeads}, vocab_size {storedVocab}, seq_len {SeqLen}";

    static InvalidDataException Invalid(string path, string problem) => new($"{path}: {problem}");
}
