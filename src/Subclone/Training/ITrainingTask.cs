using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Training;

/// <summary>
/// What one kind of training supplies to <see cref="TrainingLoop"/>: the model, its batches and loss, and the
/// validation metric. The loop owns everything else (optimizer, schedule, clipping, evaluation and checkpoint
/// cadence, metrics, resume, stopping), so every kind of training does those the same way.
/// </summary>
public interface ITrainingTask : IDisposable
{
    /// <summary>The model trained, in place.</summary>
    TransformerModel Model { get; }
    /// <summary>The run's options (validated by the task: it knows which apply to its data).</summary>
    TrainingOptions Options { get; }
    /// <summary>What <see cref="Evaluate"/> measures, and its column in the metrics.</summary>
    ValidationMetric Metric { get; }
    /// <summary>What a step trains on and the metrics count: "tokens", "images", "sentences".</summary>
    string Unit { get; }

    /// <summary>Where sampling stands, as trainer_state.json saves it (a task whose position follows from the
    /// step alone returns 0).</summary>
    ulong SamplerState { get; }

    /// <summary>Continues sampling where the run saved as <paramref name="state"/> stood, so the next batch is the
    /// very one an unbroken run would take.</summary>
    void Resume(TrainingState state);

    /// <summary>The next micro-batch's training loss (its graph kept for backward) and how many <see cref="Unit"/>
    /// it trained on. Called inside the step's dispose scope.</summary>
    (Tensor Loss, long Count) NextLoss();

    /// <summary>The validation metric on the task's fixed validation set (lower is better).</summary>
    double Evaluate();

    /// <summary>What the task adds to the state it checkpoints (e.g. the augmentation a resumed run must replay).</summary>
    TrainingState Annotate(TrainingState state) => state;
}
