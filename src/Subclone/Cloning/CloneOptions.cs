namespace Subclone.Cloning;

/// <summary>How neurons are chosen: by importance (the paper), or the ablations and baselines.</summary>
public enum Selection
{
    /// <summary>Top-ranked by calibration importance (the paper's method).</summary>
    Importance,
    /// <summary>The first k indices, no reordering.</summary>
    First,
    /// <summary>k indices drawn at random with the seed.</summary>
    Random,
    /// <summary>Evenly spaced indices and the first L' layers: "Weight Selection" (Xu et al., 2024).</summary>
    Uniform,
}

/// <summary>Which parent blocks a shallower child keeps.</summary>
public enum DepthStrategy
{
    /// <summary>Drop blocks from the middle: keep the first ⌈L'/2⌉ and the last ⌊L'/2⌋ (the paper's best practice).</summary>
    Middle,
    /// <summary>Drop the blocks with the smallest influence ‖f(x)‖/‖x+f(x)‖.</summary>
    Influence,
    /// <summary>Keep the first L' blocks.</summary>
    First,
}

/// <summary>How a cut chooses what to keep, beyond the target shape.</summary>
public sealed record CloneOptions
{
    /// <summary>How residual dims, heads and FFN neurons are chosen.</summary>
    public Selection Selection { get; init; } = Selection.Importance;
    /// <summary>Which blocks a shallower child keeps (ignored with <see cref="KeepLayers"/>).</summary>
    public DepthStrategy Depth { get; init; } = DepthStrategy.Middle;
    /// <summary>Explicit parent blocks to keep, overriding <see cref="Depth"/>.</summary>
    public int[]? KeepLayers { get; init; }
    /// <summary>Multiply linear weights whose input shrank from n to n' by √(n/n') (the paper's scaling).</summary>
    public bool Scale { get; init; } = true;
    /// <summary>Seed for <see cref="Selection.Random"/>.</summary>
    public long Seed { get; init; }
}
