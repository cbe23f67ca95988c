using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Training;

/// <summary>
/// What one kind of training supplies to <see cref="TrainingLoop"/>: the model, its batches and loss, and the
/// validation metric. The loop owns everything else (optimizer, schedule, clipping, evaluation and checkpoint
/// cadence, metrics, resume, stopping), so every kind of training does those the same way.
/// </summary>
/// <param name="model">The model trained, in place.</param>
/// <param name="options">The run's options (validated here; a task checks what else applies to its data).</param>
/// <param name="metric">What <see cref="Evaluate"/> measures.</param>
/// <param name="unit">What a step trains on and the metrics count.</param>
public abstract class TrainingTask(TransformerModel model, TrainingOptions options, ValidationMetric metric, string unit) : IDisposable
{
    /// <summary>The model trained, in place.</summary>
    public TransformerModel Model { get; } = model;
    /// <summary>The run's options.</summary>
    public TrainingOptions Options { get; } = Validated(options);
    /// <summary>What <see cref="Evaluate"/> measures, and its column in the metrics.</summary>
    public ValidationMetric Metric { get; } = metric;
    /// <summary>What a step trains on and the metrics count: "tokens", "images", "sentences".</summary>
    public string Unit { get; } = unit;

    static TrainingOptions Validated(TrainingOptions options)
    {
        options.Validate();
        return options;
    }

    /// <summary>Where sampling stands, as trainer_state.json saves it (a task whose position follows from the
    /// step alone returns 0).</summary>
    public abstract ulong SamplerState { get; }

    /// <summary>Continues sampling where the run saved as <paramref name="state"/> stood, so the next batch is the
    /// very one an unbroken run would take.</summary>
    public abstract void Resume(TrainingState state);

    /// <summary>The next micro-batch's training loss (its graph kept for backward) and how many <see cref="Unit"/>
    /// it trained on. Called inside the step's dispose scope.</summary>
    public abstract (Tensor Loss, long Count) NextLoss();

    /// <summary>The validation metric on the task's fixed validation set (lower is better).</summary>
    public abstract double Evaluate();

    /// <summary>What the task adds to the state it checkpoints (e.g. the augmentation a resumed run must replay).</summary>
    public virtual TrainingState Annotate(TrainingState state) => state;

    /// <summary>Frees what the task holds (validation batches, index tensors); the model belongs to the caller.</summary>
    public virtual void Dispose() { }
}
