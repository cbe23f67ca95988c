namespace Subclone.Training;

/// <summary>How a compared child starts, and the optimiser preset each start wants.</summary>
public enum ChildInit
{
    /// <summary>Weight subcloning (the paper).</summary>
    Subclone,
    /// <summary>Subcloning, then trained with the parent as a teacher too: KL to its next-token distribution for
    /// decoders (as <c>train --distill</c>); for BERT the embedding distillation every encoder child gets.</summary>
    SubcloneDistill,
    /// <summary>Subcloning without the √(n/n') scaling (ablation).</summary>
    SubcloneNoScale,
    /// <summary>Evenly spaced indices and the first L' blocks: Weight Selection (Xu et al., 2024).</summary>
    Uniform,
    /// <summary>The first k indices of everything.</summary>
    First,
    /// <summary>Hugging Face's random initialisation.</summary>
    Random,
}

/// <summary>The command-line names of <see cref="ChildInit"/> values, and the paper's optimizer presets for each.</summary>
public static class ChildInits
{
    /// <summary>The command-line name of <paramref name="init"/> (subclone, subclone+distill, subclone-noscale, uniform, first, random).</summary>
    public static string Name(ChildInit init) => init switch
    {
        ChildInit.Subclone => "subclone",
        ChildInit.SubcloneDistill => "subclone+distill",
        ChildInit.SubcloneNoScale => "subclone-noscale",
        ChildInit.Uniform => "uniform",
        ChildInit.First => "first",
        ChildInit.Random => "random",
        _ => throw new ArgumentOutOfRangeException(nameof(init)),
    };

    /// <summary>Whether <paramref name="init"/> starts from the importance-ranked cut that calibration scores.</summary>
    public static bool IsSubcloned(ChildInit init) => init is ChildInit.Subclone or ChildInit.SubcloneDistill or ChildInit.SubcloneNoScale;

    /// <summary>The init a command-line name stands for; a <see cref="UserInputException"/> listing the names for any other.</summary>
    public static ChildInit Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "subclone" => ChildInit.Subclone,
        "subclone+distill" => ChildInit.SubcloneDistill,
        "subclone-noscale" => ChildInit.SubcloneNoScale,
        "uniform" => ChildInit.Uniform,
        "first" => ChildInit.First,
        "random" => ChildInit.Random,
        var other => throw new UserInputException($"--inits: unknown init '{other}' (subclone, subclone+distill, subclone-noscale, uniform, first, random)"),
    };

    /// <summary>Children that inherit weights start close to a good solution and want a small step and little
    /// decay; a random child needs a large step and strong decay. The paper's GPT-2 presets: LR 1e-4, WD 0.001
    /// (subcloned) vs LR 1e-3-class, WD 0.1 (random).</summary>
    public static (double LearningRate, double WeightDecay) PaperPreset(ChildInit init) =>
        init == ChildInit.Random ? (1e-3, 0.1) : (1e-4, 0.001);

    /// <summary>The paper's ViT presets: LR 1e-4, WD 0.005 (subcloned) vs LR 2e-3, WD 0.2 (random).</summary>
    public static (double LearningRate, double WeightDecay) PaperVitPreset(ChildInit init) =>
        init == ChildInit.Random ? (2e-3, 0.2) : (1e-4, 0.005);
}
