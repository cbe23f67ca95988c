using Subclone.Data.Tokenizers;
using static TorchSharp.torch;

namespace Subclone.Data;

/// <summary>
/// Turns documents into calibration batches with a seed: for decoders, N random windows of T tokens from the
/// concatenated token stream (documents joined by EOS); for encoders, N sentences of at most T tokens, padded.
/// </summary>
public static class CalibrationSampler
{
    /// <paramref name="windows"/> windows of <paramref name="length"/> tokens at random offsets in <paramref name="tokens"/>, drawn with <paramref name="seed"/>,
    /// in batches of <paramref name="batchSize"/>.
    public static List<ModelBatch> DecoderWindows(IReadOnlyList<int> tokens, int windows, int length, int batchSize, long seed)
    {
        if (tokens.Count < length + 1)
            throw new UserInputException($"calibration text has {tokens.Count} tokens; {length + 1} are needed for one window of {length}");
        var random = new Random((int)(seed ^ (seed >> 32)));
        var starts = Enumerable.Range(0, windows).Select(_ => random.Next(0, tokens.Count - length)).ToArray();
        var batches = new List<ModelBatch>();
        for (int b = 0; b < windows; b += batchSize)
        {
            int n = Math.Min(batchSize, windows - b);
            var ids = new long[n * length];
            for (int i = 0; i < n; i++)
                for (int t = 0; t < length; t++)
                    ids[i * length + t] = tokens[starts[b + i] + t];
            batches.Add(new ModelBatch(tensor(ids, [n, length])));
        }
        return batches;
    }

    /// <summary>Token ids drawn uniformly from [0, vocab) with the seed, in batches: calibration for synthetic parents,
    /// which have no tokenizer and whose statistics are no better for real text anyway.</summary>
    public static List<ModelBatch> RandomIds(int vocab, int windows, int length, int batchSize, long seed)
    {
        using var generator = new Generator((ulong)seed);
        var batches = new List<ModelBatch>();
        for (int b = 0; b < windows; b += batchSize)
            batches.Add(new ModelBatch(randint(0, vocab, [Math.Min(batchSize, windows - b), length], dtype: ScalarType.Int64, generator: generator)));
        return batches;
    }

    /// <summary>The whole corpus as one token stream, documents separated by EOS (or nothing if the tokenizer has none).</summary>
    public static List<int> TokenStream(IEnumerable<string> documents, ITextTokenizer tokenizer, int maxTokens)
    {
        var stream = new List<int>();
        foreach (string doc in documents)
        {
            stream.AddRange(tokenizer.Encode(doc));
            if (tokenizer.EosId is int eos) stream.Add(eos);
            if (stream.Count >= maxTokens) break;
        }
        return stream;
    }

    /// <summary>Encoder batches: sentences chosen with the seed, each [CLS] … [SEP] truncated to <paramref name="length"/>, padded with 0.</summary>
    public static List<ModelBatch> EncoderSentences(IReadOnlyList<string> documents, Func<string, int, IReadOnlyList<int>> encodeForModel,
        int sentences, int length, int batchSize, long seed)
    {
        if (documents.Count == 0) throw new UserInputException("calibration data is empty");
        var random = new Random((int)(seed ^ (seed >> 32)));
        var chosen = Enumerable.Range(0, sentences).Select(_ => documents[random.Next(documents.Count)]).ToList();
        return EncoderBatches(chosen, encodeForModel, length, batchSize);
    }

    /// <paramref name="texts"/> encoded by <paramref name="encodeForModel"/> (text, max length → ids with the model's special tokens),
    /// in padded batches of <paramref name="batchSize"/> with attention masks.
    public static List<ModelBatch> EncoderBatches(IReadOnlyList<string> texts, Func<string, int, IReadOnlyList<int>> encodeForModel, int length, int batchSize)
    {
        var batches = new List<ModelBatch>();
        for (int b = 0; b < texts.Count; b += batchSize)
        {
            var encoded = texts.Skip(b).Take(batchSize).Select(s => encodeForModel(s, length)).ToList();
            int t = encoded.Max(e => e.Count);
            var ids = new long[encoded.Count * t];
            var mask = new long[encoded.Count * t];
            for (int i = 0; i < encoded.Count; i++)
                for (int j = 0; j < encoded[i].Count; j++)
                {
                    ids[i * t + j] = encoded[i][j];
                    mask[i * t + j] = 1;
                }
            batches.Add(new ModelBatch(tensor(ids, [encoded.Count, t]), tensor(mask, [encoded.Count, t])));
        }
        return batches;
    }
}
