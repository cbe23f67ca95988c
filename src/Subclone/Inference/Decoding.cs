using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Inference;

/// <summary>
/// A batch of rows being continued: the tokens each has so far, the window the model reads (<see cref="ContextWindow"/>),
/// and the next-token logits [B, vocab] after each step. <see cref="CachedDecoding"/> and <see cref="RecomputedDecoding"/>
/// compute the same logits, one from a <see cref="KvCache"/>, the other from scratch.
/// </summary>
public abstract class Decoding : IDisposable
{
    /// <summary>Rows' tokens so far, prompts first.</summary>
    protected readonly List<List<int>> Rows;
    /// <summary>Each row's window.</summary>
    protected readonly ContextWindow[] Windows;
    /// <summary>The model.</summary>
    protected readonly CausalLanguageModel Model;
    /// <summary>The context limit (--max-context), or null for the model's own.</summary>
    protected readonly int? MaxContext;

    /// <summary>Continues <paramref name="prompts"/> with <paramref name="model"/>.</summary>
    protected Decoding(CausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, int? maxContext)
    {
        Model = model;
        MaxContext = maxContext;
        Rows = prompts.Select(p => new List<int>(p)).ToList();
        int limit = maxContext ?? model.Config.MaxPositions;
        Windows = Rows.Select(r =>
        {
            var window = new ContextWindow(limit, reread: model.LearnedPositions);
            window.Begin(r.Count);
            return window;
        }).ToArray();
    }

    /// <summary>The logits [B, vocab] after the prompts.</summary>
    public abstract Tensor Start();

    /// <summary>Appends <paramref name="next"/> (one token per row) and returns the logits [B, vocab] after it.</summary>
    public Tensor Next(IReadOnlyList<int> next)
    {
        bool moved = false;
        for (int b = 0; b < Rows.Count; b++)
        {
            Rows[b].Add(next[b]);
            moved |= Windows[b].Advance(Rows[b].Count);
        }
        return Continue(next, moved);
    }

    /// <summary>The logits after the token each row just got; <paramref name="windowMoved"/>: some row's window restarted.</summary>
    protected abstract Tensor Continue(IReadOnlyList<int> next, bool windowMoved);

    /// <summary>Row <paramref name="b"/>'s tokens in its window.</summary>
    protected List<int> Context(int b) => Rows[b].GetRange(Windows[b].Start, Rows[b].Count - Windows[b].Start);

    /// <summary>The logits after <paramref name="ids"/> [B, T] fed into an empty <paramref name="cache"/>, in steps
    /// as large as it allows (a ring cache takes at most its slack beyond the context limit at once).</summary>
    public static Tensor Prefill(CausalLanguageModel model, KvCache cache, Tensor ids)
    {
        long length = ids.shape[1];
        for (long start = 0; ; )
        {
            long count = Math.Min(cache.MaxStep, length - start);
            using var chunk = ids.narrow(1, start, count);
            var logits = model.NextTokenLogits(chunk, cache);
            start += count;
            if (start == length) return logits;
            logits.Dispose();
        }
    }

    /// <summary>Rows left-padded with 0 to the longest: ids [B, T] and each row's padding.</summary>
    public static (Tensor Ids, long[] Padding) LeftPadded(IReadOnlyList<IReadOnlyList<int>> rows)
    {
        int longest = rows.Max(r => r.Count);
        var ids = new long[rows.Count * longest];
        var padding = new long[rows.Count];
        for (int b = 0; b < rows.Count; b++)
        {
            padding[b] = longest - rows[b].Count;
            for (int i = 0; i < rows[b].Count; i++) ids[b * longest + padding[b] + i] = rows[b][i];
        }
        return (tensor(ids, [rows.Count, longest]), padding);
    }

    /// <inheritdoc/>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}
