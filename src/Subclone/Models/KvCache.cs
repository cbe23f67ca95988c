using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>
/// The keys and values a decoder has already computed, per layer, so that generating a token costs one token's
/// forward instead of the whole prefix's. Every row of a batch shares one timeline of sequence indices; row b's first
/// <c>padding[b]</c> indices are left padding, never attended to. Buffers [B, kv_heads, capacity, head_dim] are
/// allocated once, at a layer's first step, and written in place.
/// <para>With a context limit N (<c>--max-context</c>) a query attends to at most the N most recent indices (itself
/// included), and the buffers are a ring: index j lives in slot j mod capacity, so the oldest entries are overwritten
/// once they have left every query's window. Rotary keys keep the positions they were rotated at; attention scores
/// depend only on position differences, which eviction leaves unchanged.</para>
/// </summary>
public sealed class KvCache : IDisposable
{
    readonly Tensor?[] _keys, _values;
    readonly long[] _padding;
    readonly Tensor _paddingColumn;  // [B, 1, 1, 1] int64, compared with key indices
    readonly Tensor _slotIndex;      // [capacity] int64: the sequence index each slot holds (Empty before it is written)
    readonly Dictionary<RopeParameters, (Tensor Cos, Tensor Sin)> _ropeTables = new();
    const long Empty = long.MinValue / 4;

    /// <summary>An empty cache for <paramref name="layers"/> layers and a batch of <paramref name="padding"/>.Count rows
    /// (row b left-padded by padding[b] indices), holding <paramref name="capacity"/> indices. Positions go up to
    /// <paramref name="maxPosition"/> − 1 (what precomputed rotary tables cover).</summary>
    public KvCache(int layers, IReadOnlyList<long> padding, long capacity, long maxPosition, int? contextLimit = null)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be positive");
        if (contextLimit is int limit && limit <= 0) throw new ArgumentOutOfRangeException(nameof(contextLimit), limit, "must be positive");
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
        _padding = [.. padding];
        _paddingColumn = tensor(_padding).view(-1, 1, 1, 1).DetachFromDisposeScope();
        _slotIndex = full(capacity, Empty, ScalarType.Int64).DetachFromDisposeScope();
        Capacity = capacity;
        MaxPosition = maxPosition;
        ContextLimit = contextLimit;
    }

    /// <summary>Rows in the batch.</summary>
    public long Batch => _padding.Length;
    /// <summary>Sequence indices the buffers hold at once.</summary>
    public long Capacity { get; }
    /// <summary>One past the largest position a step may use.</summary>
    public long MaxPosition { get; }
    /// <summary>The most recent indices a query may attend to (itself included); null: all of them.</summary>
    public int? ContextLimit { get; }
    /// <summary>Sequence indices consumed so far, padding included: the next step starts here.</summary>
    public long Length { get; private set; }
    /// <summary>Row <paramref name="row"/>'s left padding.</summary>
    public long PaddingOf(int row) => _padding[row];
    /// <summary>Whether some row is padded (every step then needs an explicit mask).</summary>
    internal bool AnyPadding => _padding.Any(p => p > 0);

    /// <summary>The most new tokens one step may add: all remaining room, or with a context limit, the ring's slack
    /// beyond the limit (so a step never overwrites a key one of its own queries still reads).</summary>
    public long MaxStep => ContextLimit is int limit && Capacity > limit
        ? Math.Max(Capacity - Length, Capacity - limit)
        : Capacity - Length;

    /// <summary>Starts a forward over <paramref name="count"/> new tokens per row: claims their slots and advances
    /// <see cref="Length"/>. The step then hands each layer its keys and values and the mask.</summary>
    public KvStep Begin(long count)
    {
        if (count <= 0 || count > MaxStep)
            throw new InvalidOperationException($"a step of {count} tokens does not fit the cache ({Length} of {Capacity} used, at most {MaxStep} per step)");
        long start = Length;
        foreach (var (slot, index, n) in Slots(start, count)) _slotIndex.narrow(0, slot, n).copy_(arange(index, index + n, dtype: ScalarType.Int64));
        Length += count;
        return new KvStep(this, start, count);
    }

    /// <summary>Drops every entry (buffers are kept for reuse).</summary>
    public void Clear()
    {
        Length = 0;
        _slotIndex.fill_(Empty);
    }

    /// <summary>The contiguous runs of slots [slot, slot + n) that indices start … start + count − 1 occupy.</summary>
    internal IEnumerable<(long Slot, long Index, long Count)> Slots(long start, long count)
    {
        long slot = start % Capacity, first = Math.Min(count, Capacity - slot);
        yield return (slot, start, first);
        if (first < count) yield return (0, start + first, count - first);
    }

    /// <summary>Slots a query may look at after a step ending at <paramref name="end"/>: the filled prefix, or the whole ring.</summary>
    internal long VisibleSlots(long end) => Math.Min(end, Capacity);

    /// <summary>The sequence index each of the first <paramref name="visible"/> slots holds.</summary>
    internal Tensor SlotIndices(long visible) => _slotIndex.narrow(0, 0, visible);

    internal Tensor PaddingColumn => _paddingColumn;

    /// <summary>Writes layer <paramref name="layer"/>'s new keys and values [B, KV, count, hd] into their slots and
    /// returns the layer's visible keys and values [B, KV, visible, hd] (views of the buffers).</summary>
    internal (Tensor Keys, Tensor Values) Store(int layer, Tensor keys, Tensor values, long start)
    {
        var bufferK = _keys[layer] ??= NewBuffer(keys);
        var bufferV = _values[layer] ??= NewBuffer(values);
        long count = keys.shape[2], offset = 0;
        foreach (var (slot, _, n) in Slots(start, count))
        {
            // The common case is one run holding every new entry: no view of the new keys needed.
            bufferK.narrow(2, slot, n).copy_(n == count ? keys : keys.narrow(2, offset, n));
            bufferV.narrow(2, slot, n).copy_(n == count ? values : values.narrow(2, offset, n));
            offset += n;
        }
        long visible = VisibleSlots(start + keys.shape[2]);
        return (bufferK.narrow(2, 0, visible), bufferV.narrow(2, 0, visible));
    }

    Tensor NewBuffer(Tensor like)
    {
        if (like.shape[0] != Batch) throw new ArgumentException($"keys for {like.shape[0]} rows in a cache of {Batch}");
        return zeros([Batch, like.shape[1], Capacity, like.shape[3]], like.dtype).DetachFromDisposeScope();
    }

    /// <summary>cos and sin of every position below <see cref="MaxPosition"/> for a rope whose frequencies do not depend
    /// on the sequence length, computed once as the uncached forward computes them.</summary>
    internal (Tensor Cos, Tensor Sin) RopeTable(RopeParameters rope, int headDim)
    {
        if (_ropeTables.TryGetValue(rope, out var table)) return table;
        var (cos, sin) = Rotary.CosSin(rope, headDim, MaxPosition);
        table = (cos.DetachFromDisposeScope(), sin.DetachFromDisposeScope());
        _ropeTables[rope] = table;
        return table;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values)) t?.Dispose();
        foreach (var (cos, sin) in _ropeTables.Values) { cos.Dispose(); sin.Dispose(); }
        _paddingColumn.Dispose();
        _slotIndex.Dispose();
    }
}
