using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Inference;

/// <summary>
/// Decoding with a <see cref="KvCache"/>: the prompts (left-padded to one length) are prefilled once, then each step
/// feeds one token per row. The cache is rebuilt from the rows' windows when a learned-position window restarts, or
/// when the rotary frequencies change with the length (dynamic NTK, LongRoPE): cached keys rotated with the old
/// frequencies would differ from what a forward over the whole text computes. (HF's generate keeps them; re-reading
/// keeps cached and uncached decoding equal.)
/// </summary>
public sealed class CachedDecoding : Decoding
{
    readonly long _capacity, _maxPosition;
    KvCache? _cache;
    long _regime;

    /// <summary>Continues <paramref name="prompts"/> by up to <paramref name="maxNewTokens"/> tokens.</summary>
    public CachedDecoding(CausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, int maxNewTokens, int? maxContext)
        : base(model, prompts, maxContext)
    {
        long total = prompts.Max(p => p.Count) + (long)maxNewTokens;
        if (model.LearnedPositions)
        {
            // A window never exceeds the limit: it restarts (and the cache is rebuilt) first.
            _capacity = Math.Min(total, maxContext ?? model.Config.MaxPositions);
            _maxPosition = _capacity;
        }
        else
        {
            _capacity = maxContext is int limit ? Math.Min(total, limit + RecomputedDecoding.RingSlack(limit)) : total;
            _maxPosition = total;
        }
    }

    /// <inheritdoc/>
    public override Tensor Start() => Rebuild();

    /// <inheritdoc/>
    protected override Tensor Continue(IReadOnlyList<int> next, bool windowMoved)
    {
        var cache = _cache!;
        long longest = cache.Length + 1 - Enumerable.Range(0, Rows.Count).Min(b => cache.PaddingOf(b));
        if (windowMoved || RopeFrequencies.Regime(Model.Config.Rope, longest) != _regime) return Rebuild();
        using var ids = tensor(next.Select(i => (long)i).ToArray(), [next.Count, 1]);
        return Model.NextTokenLogits(ids, cache);
    }

    Tensor Rebuild()
    {
        _cache?.Dispose();
        var contexts = Enumerable.Range(0, Rows.Count).Select(b => (IReadOnlyList<int>)Context(b)).ToList();
        var (ids, padding) = LeftPadded(contexts);
        using var _ = ids;
        _cache = new KvCache(Model.Config.Layers, padding, _capacity, _maxPosition, Model.LearnedPositions ? null : MaxContext);
        _regime = RopeFrequencies.Regime(Model.Config.Rope, ids.shape[1]);
        return Prefill(Model, _cache, ids);
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _cache?.Dispose();
        base.Dispose();
    }
}
