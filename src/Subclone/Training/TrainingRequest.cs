using Subclone.Data.Images;

namespace Subclone.Training;

/// <summary>
/// What a training run is asked for, as <c>subclone train</c>'s options say it: the model (or a config for a random
/// init, or a run to resume), the data, the run directory, and the options given (merged over the defaults, or
/// on resume over the run's own). <see cref="TrainingRun.Prepare"/> turns it into a run.
/// </summary>
public sealed record TrainingRequest
{
    /// <summary>The run directory: the model (HF format), trainer state and metrics.</summary>
    public required string OutDir { get; init; }
    /// <summary>The model to train (a path or Hub id), or null with <see cref="ConfigPath"/> or <see cref="Resume"/>.</summary>
    public string? Model { get; init; }
    /// <summary>A config.json to build a randomly initialised model from (seeded by the options' seed).</summary>
    public string? ConfigPath { get; init; }
    /// <summary>Where the tokenizer is, when not the model's own (or beside the config).</summary>
    public string? TokenizerPath { get; init; }
    /// <summary>Training text or labelled images; null: not given (the default corpus, or on resume the run's own).</summary>
    public IReadOnlyList<string>? Data { get; init; }
    /// <summary>Image runs: validation images (null: a seeded tenth of the data, or on resume the run's own).</summary>
    public string? ValidationData { get; init; }
    /// <summary>Image runs: augmentation of training batches; null: not given (none, or on resume the run's own).</summary>
    public ImageAugmentation? Augmentation { get; init; }
    /// <summary>The token cache directory (null: the default).</summary>
    public string? Cache { get; init; }
    /// <summary>Continue the run in <see cref="OutDir"/> from its last checkpoint.</summary>
    public bool Resume { get; init; }
    /// <summary>Replace <see cref="OutDir"/> if it exists.</summary>
    public bool Force { get; init; }
    /// <summary>A parent whose next-token distribution a decoder also learns (a path or Hub id), or null.</summary>
    public string? Teacher { get; init; }
    /// <summary>The options given, laid over a baseline: the defaults, or on resume the run's own.</summary>
    public Func<TrainingOptions, TrainingOptions> Options { get; init; } = baseline => baseline;
}
