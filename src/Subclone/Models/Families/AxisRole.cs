namespace Subclone.Models.Families;

/// <summary>
/// What the coordinates along one axis of a parameter are, and so how a clone map cuts it. Roles compose:
/// <see cref="Packed"/> concatenates parts of unequal size (Phi-3's [q | k | v] with GQA), and
/// <see cref="PerHeadInterleaved"/> lays each head's parts side by side (GPT-NeoX's [heads, 3, head_dim]).
/// </summary>
public abstract record AxisRole
{
    /// <summary>Kept whole: vocabulary, positions, token types, pixels.</summary>
    public static AxisRole Whole { get; } = new WholeAxis();
    /// <summary>Residual-stream dims (the global ranking).</summary>
    public static AxisRole Residual { get; } = new ResidualAxis();
    /// <summary>Query heads × head_dim, head-major; also a norm over that width (OLMo 2's q_norm).</summary>
    public static AxisRole Heads { get; } = new HeadsAxis();
    /// <summary>Key/value heads × head_dim, head-major.</summary>
    public static AxisRole KvHeads { get; } = new KvHeadsAxis();
    /// <summary>FFN neurons of the block.</summary>
    public static AxisRole Ffn { get; } = new FfnAxis();

    /// <summary>A sparse block's experts: the router's rows (Mixtral's gate [experts, hidden]).</summary>
    public static AxisRole Experts { get; } = new ExpertsAxis();
    /// <summary>FFN neurons of one expert (w1/w3's rows, w2's columns): each kept expert keeps its own.</summary>
    public static AxisRole ExpertFfn { get; } = new ExpertFfnAxis();

    /// <summary>The parts one after another, each cut by its own role: GPT-2's c_attn is Packed(Heads, Heads, Heads).</summary>
    public static AxisRole Packed(params AxisRole[] parts) => new PackedAxis(parts);

    /// <summary>Per query head, <paramref name="parts"/> blocks of head_dim: [heads, parts, head_dim] flattened.</summary>
    public static AxisRole PerHeadInterleaved(int parts) => new PerHeadInterleavedAxis(parts);

    /// <summary>The axis's length in a model of <paramref name="config"/>; null for <see cref="Whole"/>, whose length is no model width.</summary>
    public abstract long? Extent(ModelConfig config);

    /// <summary>The parent coordinates the child keeps along this axis, in the parent's order; null keeps it whole.</summary>
    public abstract int[]? Kept(ModelConfig parent, KeptUnits kept);

    /// <summary>Every index of each kept head: head h covers h·head_dim … (h+1)·head_dim − 1.</summary>
    protected static int[] ExpandHeads(int[] heads, int width) =>
        heads.SelectMany(h => Enumerable.Range(h * width, width)).ToArray();
}

/// <summary>See <see cref="AxisRole.Whole"/>.</summary>
public sealed record WholeAxis : AxisRole
{
    /// <inheritdoc/>
    public override long? Extent(ModelConfig config) => null;
    /// <inheritdoc/>
    public override int[]? Kept(ModelConfig parent, KeptUnits kept) => null;
}

/// <summary>See <see cref="AxisRole.Residual"/>.</summary>
public sealed record ResidualAxis : AxisRole
{
    /// <inheritdoc/>
    public override long? Extent(ModelConfig config) => config.Hidden;
    /// <inheritdoc/>
    public override int[]? Kept(ModelConfig parent, KeptUnits kept) => kept.ResidualDims;
}

/// <summary>See <see cref="AxisRole.Heads"/>.</summary>
public sealed record HeadsAxis : AxisRole
{
    /// <inheritdoc/>
    public override long? Extent(ModelConfig config) => (long)config.Heads * config.HeadDim;
    /// <inheritdoc/>
    public override int[]? Kept(ModelConfig parent, KeptUnits kept) => ExpandHeads(kept.Block().Heads, parent.HeadDim);
}

/// <summary>See <see cref="AxisRole.KvHeads"/>.</summary>
public sealed record KvHeadsAxis : AxisRole
{
    /// <inheritdoc/>
    public override long? Extent(ModelConfig config) => (long)config.KvHeads * config.HeadDim;
    /// <inheritdoc/>
    public override int[]? Kept(ModelConfig parent, KeptUnits kept) => ExpandHeads(kept.Block().KvHeads, parent.HeadDim);
}

/// <summary>See <see cref="AxisRole.Ffn"/>.</summary>
public sealed record FfnAxis : AxisRole
{
    /// <inheritdoc/>
    public override long? Extent(ModelConfig config) => config.Ffn;
    /// <inheritdoc/>
    public override int[]? Kept(ModelConfig parent, KeptUnits kept) => kept.Block().FfnNeurons;
}

/// <summary>See <see cref="AxisRole.Experts"/>.</summary>
public sealed record ExpertsAxis : AxisRole
{
    /// <inheritdoc/>
    public override long? Extent(ModelConfig config) => config.Moe?.Experts ?? 0;
    /// <inheritdoc/>
    public override int[]? Kept(ModelConfig parent, KeptUnits kept) =>
        kept.Block().Experts ?? throw new InvalidOperationException("an expert axis in a block the map keeps no experts of");
}

/// <summary>See <see cref="AxisRole.ExpertFfn"/>.</summary>
public sealed record ExpertFfnAxis : AxisRole
{
    /// <inheritdoc/>
    public override long? Extent(ModelConfig config) => config.Moe?.ExpertFfn ?? 0;
    /// <inheritdoc/>
    public override int[]? Kept(ModelConfig parent, KeptUnits kept) =>
        kept.Block().ExpertFfn ?? throw new InvalidOperationException("an expert's FFN axis outside an expert");
}

/// <summary>See <see cref="AxisRole.Packed"/>; every part must have a model width (no <see cref="AxisRole.Whole"/> part).</summary>
public sealed record PackedAxis(IReadOnlyList<AxisRole> Parts) : AxisRole
{
    /// <inheritdoc/>
    public override long? Extent(ModelConfig config) => Parts.Sum(p => PartExtent(p, config));

    /// <inheritdoc/>
    public override int[]? Kept(ModelConfig parent, KeptUnits kept)
    {
        var result = new List<int>();
        long offset = 0;
        foreach (var part in Parts)
        {
            // Each part's kept indices move past the parent's widths of the parts before it.
            result.AddRange(part.Kept(parent, kept)!.Select(i => checked((int)(i + offset))));
            offset += PartExtent(part, parent);
        }
        return [.. result];
    }

    static long PartExtent(AxisRole part, ModelConfig config) =>
        part.Extent(config) ?? throw new InvalidOperationException("a packed axis cannot have a part that is kept whole");

    /// <summary>Equal when the parts are equal, in order.</summary>
    public bool Equals(PackedAxis? other) => other is not null && Parts.SequenceEqual(other.Parts);

    /// <inheritdoc/>
    public override int GetHashCode() => Parts.Aggregate(17, (h, p) => h * 31 + p.GetHashCode());
}

/// <summary>See <see cref="AxisRole.PerHeadInterleaved"/>.</summary>
public sealed record PerHeadInterleavedAxis(int Parts) : AxisRole
{
    /// <inheritdoc/>
    public override long? Extent(ModelConfig config) => (long)config.Heads * Parts * config.HeadDim;
    /// <inheritdoc/>
    public override int[]? Kept(ModelConfig parent, KeptUnits kept) => ExpandHeads(kept.Block().Heads, Parts * parent.HeadDim);
}

/// <summary>A parameter's axis roles, and which axis (if any) is a linear layer's input, the one √(n/n') scaling follows.</summary>
public sealed record ParameterAxes(AxisRole[] Axes, int? InputAxis = null)
{
    /// <summary>Equal when the roles are equal, in order, and the input axis is the same.</summary>
    public bool Equals(ParameterAxes? other) => other is not null && Axes.SequenceEqual(other.Axes) && InputAxis == other.InputAxis;

    /// <inheritdoc/>
    public override int GetHashCode() => Axes.Aggregate(InputAxis ?? -1, (h, a) => h * 31 + a.GetHashCode());
}

/// <summary>What a clone map keeps, as axis roles read it: the residual dims, and for one block its heads and neurons.</summary>
public sealed record KeptUnits(int[] ResidualDims, KeptBlockUnits? BlockUnits = null)
{
    /// <summary>The block's units; a block-local role on a parameter outside any block is a table error.</summary>
    public KeptBlockUnits Block() => BlockUnits ?? throw new InvalidOperationException("a per-block axis role on a parameter outside the blocks");
}

/// <summary>The query heads, KV heads and FFN neurons one child block keeps of its parent block; in a sparse block
/// also the parent experts it keeps and, for the one expert being cut, that expert's kept FFN neurons.</summary>
public sealed record KeptBlockUnits(int[] Heads, int[] KvHeads, int[] FfnNeurons, int[]? Experts = null, int[]? ExpertFfn = null);
