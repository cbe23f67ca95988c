using LLama;
using LLama.Common;
using LLama.Native;

namespace Subclone.Reference;

/// <summary>
/// llama.cpp itself, through LLamaSharp's bundled native libraries: loads a GGUF file and returns the logits of every
/// position of one batch, decodes greedily, or tokenizes text. KV cache in float32 so f32 exports are compared without
/// f16 rounding. One file linked into the tests (GGUF checks) and the bench (generation side by side).
/// </summary>
sealed class LlamaCpp : IDisposable
{
    static readonly object NativeInit = new();
    static bool logSilenced;

    readonly LLamaWeights weights;
    readonly ModelParams parameters;

    public LlamaCpp(string ggufPath, uint context = 256, int threads = 1)
    {
        lock (NativeInit)
        {
            if (!logSilenced)
            {
                // llama.cpp logs every tensor it loads; only errors are worth a test's output.
                NativeLibraryConfig.All.WithLogCallback((level, message) => { if (level == LLamaLogLevel.Error) Console.Error.Write(message); });
                logSilenced = true;
            }
        }
        parameters = new ModelParams(ggufPath)
        {
            ContextSize = context, BatchSize = context, UBatchSize = context, Threads = threads, BatchThreads = threads, GpuLayerCount = 0,
            TypeK = GGMLType.GGML_TYPE_F32, TypeV = GGMLType.GGML_TYPE_F32,
            FlashAttention = false,
        };
        weights = LLamaWeights.LoadFromFile(parameters);
    }

    public int VocabCount => weights.Vocab.Count;

    public LLamaWeights Weights => weights;

    /// <summary>Logits [position][token] of one forward over <paramref name="ids"/> from an empty cache.</summary>
    public float[][] Logits(IReadOnlyList<int> ids)
    {
        using var context = weights.CreateContext(parameters);
        var batch = new LLamaBatch();
        for (int i = 0; i < ids.Count; i++) batch.Add((LLamaToken)ids[i], i, LLamaSeqId.Zero, true);
        var result = context.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode: {result}");
        return Enumerable.Range(0, ids.Count).Select(i => context.NativeHandle.GetLogitsIth(i).ToArray()).ToArray();
    }

    /// <summary>Greedy continuation of <paramref name="prompt"/> by <paramref name="steps"/> tokens, decoding one token at a time.</summary>
    public List<int> Greedy(IReadOnlyList<int> prompt, int steps)
    {
        using var context = weights.CreateContext(parameters);
        var batch = new LLamaBatch();
        for (int i = 0; i < prompt.Count; i++) batch.Add((LLamaToken)prompt[i], i, LLamaSeqId.Zero, i == prompt.Count - 1);
        var generated = new List<int>();
        for (int step = 0; step < steps; step++)
        {
            if (context.Decode(batch) != DecodeResult.Ok) throw new InvalidOperationException("llama_decode failed");
            var logits = context.NativeHandle.GetLogitsIth(batch.TokenCount - 1);
            int next = 0;
            for (int t = 1; t < logits.Length; t++) if (logits[t] > logits[next]) next = t;
            generated.Add(next);
            batch.Clear();
            batch.Add((LLamaToken)next, prompt.Count + step, LLamaSeqId.Zero, true);
        }
        return generated;
    }

    /// <summary>llama.cpp's tokenization of <paramref name="text"/>; <paramref name="special"/>: match added/special
    /// token text in it as Hugging Face does (else it is tokenized as plain text).</summary>
    public int[] Tokenize(string text, bool addBos, bool special = false) =>
        weights.NativeHandle.Tokenize(text, addBos, special, System.Text.Encoding.UTF8).Select(t => (int)t).ToArray();

    public void Dispose() => weights.Dispose();
}
