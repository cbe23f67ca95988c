namespace Subclone.Training;

/// <summary>How a <see cref="TrainingLoop.Run"/> call ended: <see cref="Seen"/> counts <see cref="Unit"/> and the
/// validation values are <see cref="Metric"/>.</summary>
public sealed record TrainingSummary(int Step, int StepsThisRun, double? TrainLoss, double? InitialValidation, double? Validation,
    long Seen, double Seconds, double StepsPerSecond, double SeenPerSecond, bool Stopped)
{
    /// <summary>What the validation values measure.</summary>
    public ValidationMetric Metric { get; init; } = ValidationMetric.NextTokenLoss;
    /// <summary>What <see cref="Seen"/> counts.</summary>
    public string Unit { get; init; } = "tokens";

    /// <summary>The summary of a run that started this call at <paramref name="startStep"/> and now stands at <paramref name="state"/>.</summary>
    public static TrainingSummary Of(TrainingState state, int startStep, double seconds, double seenPerSecond)
    {
        int steps = state.Step - startStep;
        return new TrainingSummary(state.Step, steps, state.LastTrainLoss, state.InitialValidation, state.LastValidation, state.Seen,
            seconds, steps / Math.Max(seconds, 1e-9), seenPerSecond, state.Step < state.Options.Steps)
        { Metric = state.Metric, Unit = state.Unit };
    }
}
