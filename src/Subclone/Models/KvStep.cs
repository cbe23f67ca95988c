using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>
/// One cached forward over <see cref="Count"/> new tokens per row, at sequence indices <see cref="Start"/> … on:
/// their positions, rotary tables and masks (built once per step, shared by every layer), and the attention that
/// appends each layer's keys and values to the <see cref="KvCache"/> and reads them all back.
/// </summary>
public sealed class KvStep
{
    readonly KvCache _cache;
    readonly Dictionary<int, Tensor?> _masks = [];
    Tensor? _positions;

    internal KvStep(KvCache cache, long start, long count)
    {
        _cache = cache;
        Start = start;
        Count = count;
    }

    /// <summary>The first new token's sequence index.</summary>
    public long Start { get; }
    /// <summary>New tokens per row.</summary>
    public long Count { get; }
    long End => Start + Count;

    /// <summary>Each new token's position [B, Count] int64: its index minus its row's padding (0 on padding), as HF
    /// derives position_ids from a left-padded attention mask.</summary>
    public Tensor Positions => _positions ??= (arange(Start, End, dtype: ScalarType.Int64).unsqueeze(0) - _cache.PaddingColumn.view(-1, 1)).clamp_min(0);

    /// <summary>With no mask (<see cref="Mask"/> null): whether the new tokens attend causally among themselves (a
    /// prefill into an empty cache) rather than to everything visible (a one-token step).</summary>
    public bool Causal => Count > 1;

    /// <summary>cos and sin [B, 1, Count, rotary_dim] at <see cref="Positions"/>, broadcasting over heads. A rope whose
    /// frequencies depend on the sequence length (dynamic, longrope) is computed for this step's longest row, as HF's
    /// per-forward update does; the generator re-prefills when that changes the frequencies.</summary>
    public (Tensor Cos, Tensor Sin) CosSin(RopeParameters rope, int headDim)
    {
        var flat = Positions.reshape(-1);
        var (cos, sin) = RopeFrequencies.DependsOnLength(rope)
            ? Rotary.CosSin(rope, headDim, flat)
            : Gather(_cache.RopeTable(rope, headDim), flat);
        long b = _cache.Batch;
        return (cos.view(b, 1, Count, -1), sin.view(b, 1, Count, -1));
    }

    static (Tensor, Tensor) Gather((Tensor Cos, Tensor Sin) table, Tensor positions) =>
        (table.Cos.index_select(0, positions), table.Sin.index_select(0, positions));

    /// <summary>Appends layer <paramref name="layer"/>'s new keys and values [B, KV, Count, hd]; returns every visible
    /// key and value [B, KV, slots, hd].</summary>
    public (Tensor Keys, Tensor Values) Store(int layer, Tensor keys, Tensor values) => _cache.Store(layer, keys, values, Start);

    /// <summary>
    /// [B, 1, Count, slots], true where a new token may attend to a slot: a key of its own row (not padding) at most
    /// <c>min(window, context limit) − 1</c> indices before it, or itself (so a padding query is never left without
    /// keys, whose softmax would be NaN). Null when nothing needs masking beyond <see cref="Causal"/>: no padding, no
    /// evicted or out-of-window keys, and either a one-token step or a prefill into an empty cache.
    /// </summary>
    public Tensor? Mask(int? window)
    {
        int key = window ?? -1;
        if (_masks.TryGetValue(key, out var cached)) return cached;
        long limit = Math.Min(window ?? long.MaxValue, _cache.ContextLimit ?? long.MaxValue);
        bool plain = !_cache.AnyPadding && End <= limit && (Count == 1 || Start == 0);
        return _masks[key] = plain ? null : Allowed(limit);
    }

    /// <summary>The mask of <see cref="Mask"/>, built even where plain causal attention would do (Gemma's explicit scores).</summary>
    public Tensor AllowedMask(int? window) =>
        Mask(window) ?? Allowed(Math.Min(window ?? long.MaxValue, _cache.ContextLimit ?? long.MaxValue));

    Tensor Allowed(long limit)
    {
        long visible = _cache.VisibleSlots(End);
        var keyIndex = _cache.SlotIndices(visible).view(1, 1, 1, visible);
        var queryIndex = arange(Start, End, dtype: ScalarType.Int64).view(1, 1, Count, 1);
        var distance = queryIndex - keyIndex;  // ≥ 0 for keys at or before the query
        var allowed = distance.ge(0).logical_and(keyIndex.ge(_cache.PaddingColumn));
        if (limit != long.MaxValue) allowed = allowed.logical_and(distance.lt(limit));
        return allowed.logical_or(distance.eq(0));
    }

    /// <summary>
    /// softmax(q kᵀ/√hd) v over the new queries [B, H, Count, hd] and every visible key, after appending
    /// <paramref name="key"/> and <paramref name="value"/> [B, KV, Count, hd] (already rotated) to layer
    /// <paramref name="layer"/>'s cache; <paramref name="window"/> is the layer's sliding window. With GQA a one-token
    /// step folds each KV head's query heads into rows of one query [B, KV, H/KV, hd] instead of copying the cache
    /// per query head (HF's repeat_kv); longer steps repeat the keys as the uncached forward does.
    /// </summary>
    public Tensor Attend(int layer, Tensor query, Tensor key, Tensor value, int? window)
    {
        var (keys, values) = Store(layer, key, value);
        var mask = Mask(window);
        long b = query.shape[0], heads = query.shape[1], kvHeads = keys.shape[1], headDim = query.shape[3];
        if (Count == 1 && heads != kvHeads)
        {
            var folded = query.view(b, kvHeads, heads / kvHeads, headDim);
            var output = mask is null
                ? nn.functional.scaled_dot_product_attention(folded, keys, values)
                : nn.functional.scaled_dot_product_attention(folded, keys, values, attn_mask: mask);
            return output.view(b, heads, 1, headDim);
        }
        if (heads != kvHeads)
        {
            keys = keys.repeat_interleave(heads / kvHeads, dim: 1);
            values = values.repeat_interleave(heads / kvHeads, dim: 1);
        }
        return mask is null
            ? nn.functional.scaled_dot_product_attention(query, keys, values, is_casual: Causal)
            : nn.functional.scaled_dot_product_attention(query, keys, values, attn_mask: mask);
    }
}
